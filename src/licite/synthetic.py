"""A realistic, reproducible population for demos and benchmarks.

People as a French retailer's ledger holds them: customers who bought and
could object at checkout, newsletter subscribers, leads bought from brokers
(some with partners named, some without), professionals scraped from a
network, people who unsubscribed, numbers on the opposition list, people who
only ever opened an email. Everything is in the case vocabulary (SPEC §2),
seeded, so the same seed gives the same people.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

PRODUCTS = ("shoes", "bags", "socks", "jackets", "watches")
FIRST = ("marie", "jean", "paul", "luc", "anne", "remi", "claire", "hugo", "lea", "nina")
LAST = ("durand", "martin", "petit", "bernard", "leroy", "fabre", "moreau", "roux")
POSTAL = (
    "75011",
    "69003",
    "33000",
    "13001",
    "67000",
    "57000",
    "68100",
    "97400",
    "97100",
    "31000",
    "44000",
    "59000",
)


@dataclass(frozen=True, slots=True)
class SyntheticPerson:
    id: str
    kind: str
    email: str | None
    phone: str | None
    postal_code: str | None
    history: list[dict[str, Any]]
    persona: str

    def person(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "email": self.email,
            "phone": self.phone,
            "postal_code": self.postal_code,
        }


def population(
    count: int, *, seed: int = 2026, sender: str = "shop", until: date = date(2026, 11, 1)
) -> Iterator[SyntheticPerson]:
    rng = random.Random(seed)
    personas = [
        (_customer, 30),
        (_subscriber, 20),
        (_bought_lead, 15),
        (_scraped_pro, 10),
        (_unsubscribed, 10),
        (_opener, 8),
        (_bloctel, 5),
        (_unknown, 2),
    ]
    makers = [maker for maker, _ in personas]
    weights = [weight for _, weight in personas]
    for index in range(count):
        maker = rng.choices(makers, weights)[0]
        yield maker(rng, f"p{index:08d}", sender, until)


def _contact(rng: random.Random, pid: str, kind: str = "consumer") -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = "cabinet.example" if kind == "professional" else "example.fr"
    return {
        "email": f"{first}.{last}.{pid}@{domain}",
        "phone": f"06{rng.randrange(10**8):08d}" if rng.random() < 0.8 else None,
        "postal_code": rng.choice(POSTAL),
    }


def _day(rng: random.Random, until: date, years: float = 4.0) -> date:
    return until - timedelta(days=rng.randrange(1, int(365 * years)))


def _iso(day: date) -> str:
    return day.isoformat()


def _interactions(
    rng: random.Random, start: date, until: date, sender: str
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for _ in range(rng.randrange(0, 5)):
        span = max((until - start).days, 1)
        kind = rng.choice(("open", "open", "open", "click", "reply", "documentation_request"))
        events.append(
            {
                "at": _iso(start + timedelta(days=rng.randrange(span))),
                "type": "interaction",
                "kind": kind,
                "sender": sender,
            }
        )
    return events


def _person(
    pid: str, kind: str, contact: dict[str, Any], history: list[dict[str, Any]], persona: str
) -> SyntheticPerson:
    history.sort(key=lambda e: e["at"])
    return SyntheticPerson(
        pid, kind, contact["email"], contact["phone"], contact["postal_code"], history, persona
    )


def _customer(rng: random.Random, pid: str, sender: str, until: date) -> SyntheticPerson:
    start = _day(rng, until, 6)
    bought = rng.sample(PRODUCTS, rng.randrange(1, 3))
    history: list[dict[str, Any]] = [
        {
            "at": _iso(start),
            "type": "collected",
            "method": "sale",
            "source": "online checkout",
            "informed": True,
            "opt_out_offered": rng.random() < 0.85,
            "purpose": "commercial",
        },
        {"at": _iso(start), "type": "customer", "sender": sender, "products": bought},
    ]
    if rng.random() < 0.3:
        end = start + timedelta(days=rng.randrange(30, 900))
        if end < until:
            history.append({"at": _iso(end), "type": "customer_end", "sender": sender})
    if rng.random() < 0.4:
        history.append(
            {
                "at": _iso(start),
                "type": "consent",
                "channel": "email",
                "purpose": "commercial",
                "sender": sender,
                "mechanism": rng.choice(("checkbox", "double_opt_in", "preticked")),
            }
        )
    history += _interactions(rng, start, until, sender)
    return _person(pid, "consumer", _contact(rng, pid), history, "customer")


def _subscriber(rng: random.Random, pid: str, sender: str, until: date) -> SyntheticPerson:
    start = _day(rng, until, 5)
    mechanism = rng.choices(
        ("checkbox", "double_opt_in", "terms_acceptance", "preticked"), (50, 30, 12, 8)
    )[0]
    channel = rng.choice(("email", "email", "sms", "all"))
    history: list[dict[str, Any]] = [
        {
            "at": _iso(start),
            "type": "collected",
            "method": "form",
            "source": "newsletter page",
            "informed": True,
            "purpose": "commercial",
        },
        {
            "at": _iso(start),
            "type": "consent",
            "channel": channel,
            "purpose": "commercial",
            "sender": sender,
            "mechanism": mechanism,
            "wording": "nl-v3",
        },
    ]
    if rng.random() < 0.3:
        history.append(
            {
                "at": _iso(start),
                "type": "consent",
                "channel": "phone_call",
                "purpose": "commercial",
                "sender": sender,
                "mechanism": "checkbox",
                "outside_hours": rng.random() < 0.2,
            }
        )
    history += _interactions(rng, start, until, sender)
    return _person(pid, "consumer", _contact(rng, pid), history, "subscriber")


def _bought_lead(rng: random.Random, pid: str, sender: str, until: date) -> SyntheticPerson:
    start = _day(rng, until, 3)
    named = rng.random() < 0.6
    history: list[dict[str, Any]] = [
        {
            "at": _iso(start - timedelta(days=20)),
            "type": "consent",
            "channel": "email",
            "purpose": "commercial",
            "sender": sender,
            "mechanism": "checkbox",
        },
        {
            "at": _iso(start),
            "type": "collected",
            "method": rng.choice(("list_purchase", "list_rental")),
            "source": "lead broker",
            "informed": rng.random() < 0.7,
            "partner_consent": True,
            "partners_named": named,
            "consent_proof": rng.random() < 0.7,
            "purpose": "commercial",
        },
    ]
    return _person(pid, "consumer", _contact(rng, pid), history, "bought lead")


def _scraped_pro(rng: random.Random, pid: str, sender: str, until: date) -> SyntheticPerson:
    start = _day(rng, until, 3)
    history: list[dict[str, Any]] = [
        {
            "at": _iso(start),
            "type": "collected",
            "method": "scraping",
            "source": "professional network",
            "terms_forbid_reuse": rng.random() < 0.7,
            "informed": False,
            "purpose": "commercial",
        }
    ]
    return _person(
        pid, "professional", _contact(rng, pid, "professional"), history, "scraped professional"
    )


def _unsubscribed(rng: random.Random, pid: str, sender: str, until: date) -> SyntheticPerson:
    person = _subscriber(rng, pid, sender, until)
    last = max(date.fromisoformat(e["at"][:10]) for e in person.history)
    objection = last + timedelta(days=rng.randrange(1, 200))
    if objection < until:
        person.history.append(
            {
                "at": _iso(objection),
                "type": "objection",
                "channel": rng.choice(("email", "all")),
                "sender": sender,
                "via": "unsubscribe_link",
            }
        )
    return _person(
        pid,
        "consumer",
        {"email": person.email, "phone": person.phone, "postal_code": person.postal_code},
        person.history,
        "unsubscribed",
    )


def _opener(rng: random.Random, pid: str, sender: str, until: date) -> SyntheticPerson:
    start = _day(rng, until, 7)
    history: list[dict[str, Any]] = [
        {
            "at": _iso(start),
            "type": "collected",
            "method": "form",
            "source": "contest",
            "informed": True,
            "purpose": "commercial",
        },
        {
            "at": _iso(start),
            "type": "consent",
            "channel": "email",
            "purpose": "commercial",
            "sender": sender,
            "mechanism": "checkbox",
        },
    ]
    history += [
        {
            "at": _iso(start + timedelta(days=rng.randrange(1, 2000))),
            "type": "interaction",
            "kind": "open",
            "sender": sender,
        }
        for _ in range(rng.randrange(1, 6))
    ]
    history = [e for e in history if e["at"] < _iso(until)]
    return _person(pid, "consumer", _contact(rng, pid), history, "opens only")


def _bloctel(rng: random.Random, pid: str, sender: str, until: date) -> SyntheticPerson:
    person = _subscriber(rng, pid, sender, until)
    person.history.append({"at": _iso(_day(rng, until, 2)), "type": "bloctel"})
    return _person(
        pid,
        "consumer",
        {"email": person.email, "phone": person.phone, "postal_code": person.postal_code},
        person.history,
        "opposition list",
    )


def _unknown(rng: random.Random, pid: str, sender: str, until: date) -> SyntheticPerson:
    return _person(pid, "consumer", _contact(rng, pid), [], "unknown")
