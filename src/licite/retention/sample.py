"""A generated ledger for the retention tests and bench/retention.py (issue 20).

`licite.synthetic`'s retailer (customers, former customers, one-off buyers, newsletter
subscribers, bought and scraped leads, people who only opened, objections) plus what
issue 20 adds: prospects scraped again (Kaspr: an indirect collection never restarts
the clock) and a political sender's contacts (electoral list, some consented), with
its campaign registered so that its `election_ends` is known.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from licite.synthetic import population

AT = "2026-12-01T10:00:00+01:00"
POLITICAL = {
    "id": "municipales",
    "sender": {"id": "liste-a", "kind": "political", "election_ends": "2026-03-22"},
    "request": {"action": "contact", "channel": "email", "purpose": "political"},
}


def _rescraped(rng: random.Random, pid: str) -> list[dict[str, Any]]:
    first = date(2022, 1, 1) + timedelta(days=rng.randrange(700))
    again = first + timedelta(days=rng.randrange(300, 1200))
    common = {"type": "collected", "method": "scraping", "informed": True, "purpose": "commercial"}
    return [{"at": first.isoformat(), **common}, {"at": again.isoformat(), **common}]


def _political(rng: random.Random, pid: str) -> list[dict[str, Any]]:
    start = date(2025, 9, 1) + timedelta(days=rng.randrange(150))
    events: list[dict[str, Any]] = [
        {"at": start.isoformat(), "type": "collected", "method": "event", "informed": True,
         "purpose": "political"},
        {"at": start.isoformat(), "type": "interaction", "kind": "reply", "sender": "liste-a"},
    ]  # fmt: skip
    if rng.random() < 0.3:
        events.append(
            {"at": start.isoformat(), "type": "consent", "channel": "email",
             "purpose": "political", "sender": "liste-a", "mechanism": "checkbox"}
        )  # fmt: skip
    return events


def write_ledger_file(path: Path, count: int, seed: int = 20) -> Path:
    """JSON lines of `count` people and their events (SPEC §4 import format)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for index, person in enumerate(population(count, seed=seed)):
            extra = rng.random()
            history = person.history
            if extra < 0.08:
                history = _rescraped(rng, person.id)
            elif extra < 0.16:
                history = _political(rng, person.id)
            line = {"type": "person", "id": person.id, **person.person()}
            if index % 5 == 0:
                line["email"] = None  # some people have no address: no suppression hash
            out.write(json.dumps(line) + "\n")
            for event in history:
                out.write(json.dumps({"person": person.id, **event}) + "\n")
    return path
