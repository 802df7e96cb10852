"""Hypothesis strategies: valid cases over every channel, purpose, era and kind of event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from licite.moments import PARIS, add_period, paris_day
from licite.parameters import parameters, start
from licite.vocabulary import (
    AnalysisPurpose,
    CallOutcome,
    Channel,
    CollectPurpose,
    InteractionKind,
    Mechanism,
    Method,
    PersonKind,
    Purpose,
    Sector,
    Via,
)

SENDER = "shop"
OFFERS = ["shoes", "bags", "windows", "electricity supply"]
PHONES = [
    "06 12 34 56 78",
    "+33 7 11 22 33 44",
    "0690 12 34 56",
    "0692 12 34 56",
    "+262 639 12 34 56",
    "0596 12 34 56",
    "0694 12 34 56",
]
CALLER_IDS = ["09 48 20 30 40", "01 44 55 66 77", "+33 9 47 51 23 45", "+33 1 62 00 00 00"]
"""Numbers inside and outside Arcep's canvassing ranges."""
POSTAL = [None, "75011", "67000", "57000", "68100", "97100", "97200", "97300", "97400", "97600"]
ZONES = [PARIS, UTC, timezone(timedelta(hours=-4)), timezone(timedelta(hours=4))]
SENDERS = [SENDER, SENDER, SENDER, "partner", None]
CONSENT_PURPOSES = {
    "commercial",
    "charitable",
    "political",
    "advertising",
    "statistics",
    "service_improvement",
}


def values(enum: Any) -> list[str]:
    return [member.value for member in enum]


ERA_BOUNDARIES = sorted(
    {start(name) for name, p in parameters().items() if p.kind == "date"}
    | {paris_day(s.since.isoformat()) for p in parameters().values() for s in p.steps}
)
"""The days the law changes on (law/parameters.yaml): rules that start, values that change."""
_START = datetime(2004, 6, 22, tzinfo=PARIS)

moments = st.builds(
    lambda base, offset_minutes, zone: (base + timedelta(minutes=offset_minutes)).astimezone(zone),
    st.one_of(st.just(_START), st.sampled_from(ERA_BOUNDARIES)),
    st.one_of(
        st.integers(0, 23 * 365 * 24 * 60),  # anywhere from the LCEN on
        st.integers(-3 * 24 * 60, 3 * 24 * 60),  # around a date when the law changed
    ),
    st.sampled_from(ZONES),
)


def iso(moment: datetime) -> str:
    return moment.isoformat()


PERIODS = sorted(
    {
        (-s.value.days, -s.value.months)
        for p in parameters().values()
        if p.kind == "period"
        for s in p.steps
    }
)
"""Every period of the law (law/parameters.yaml), counted back: (days, months)."""
EDGE_MINUTES = st.integers(-2, 2)


def period_edge(
    base: datetime,
    periods: list[tuple[int, int]] = PERIODS,
    minutes: st.SearchStrategy[int] = EDGE_MINUTES,
) -> st.SearchStrategy[str]:
    """The end of one of `periods` (days, months) counted back from `base`, give or take a
    few minutes."""
    return st.builds(
        lambda period, shift: iso(
            add_period(base, days=period[0], months=period[1]) + timedelta(minutes=shift)
        ),
        st.sampled_from(periods),
        minutes,
    )


def event_at(base: datetime) -> st.SearchStrategy[str]:
    """Mostly before the case's moment, often at the edge of a legal period,
    sometimes exactly at the moment or after it."""
    return st.one_of(
        st.integers(-6 * 365 * 24 * 60, 0).map(lambda m: iso(base + timedelta(minutes=m))),
        st.integers(-8 * 365, 0).map(lambda d: (base + timedelta(days=d)).date().isoformat()),
        period_edge(base),
        st.just(iso(base)),
        st.integers(1, 400 * 24 * 60).map(lambda m: iso(base + timedelta(minutes=m))),
    )


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def clean(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if value is not None}


def event(
    base: datetime, request: dict[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Any event; given the request, consents and objections often concern it."""
    at = event_at(base)
    asked = request or {}
    asked_channel = [asked["channel"]] * 3 if asked.get("channel") else []
    asked_purpose = [asked.get("purpose") or asked.get("analysis_purpose")] * 3
    channel_or_all = optional(st.sampled_from([*values(Channel), "all", *asked_channel]))
    sender = st.sampled_from(SENDERS)
    kinds: list[st.SearchStrategy[dict[str, Any]]] = [
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("collected"),
                "method": st.sampled_from(values(Method)),
                "purpose": optional(st.sampled_from(values(CollectPurpose))),
                "terms_forbid_reuse": st.booleans(),
                "informed": optional(st.booleans()),
                "informed_at": optional(at),
                "opt_out_offered": st.booleans(),
                "partner_consent": st.booleans(),
                "partners_named": st.booleans(),
                "consent_proof": st.booleans(),
            }
        ),
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("consent"),
                "channel": channel_or_all,
                "purpose": st.sampled_from(
                    [
                        "commercial",
                        "charitable",
                        "political",
                        "advertising",
                        "statistics",
                        "service_improvement",
                        None,
                        *(p for p in asked_purpose if p in CONSENT_PURPOSES),
                    ]
                ),
                "processing": st.sampled_from([None, None, "ads", "stats"]),
                "sender": sender,
                "mechanism": st.sampled_from(
                    [*values(Mechanism), None, "checkbox", "double_opt_in"]
                ),
                "outside_hours": st.booleans(),
            }
        ),
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("withdrawal"),
                "channel": channel_or_all,
                "purpose": optional(st.sampled_from(["commercial", "political", "advertising"])),
                "processing": st.sampled_from([None, "ads"]),
                "sender": sender,
            }
        ),
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("objection"),
                "channel": channel_or_all,
                "sender": st.sampled_from([*SENDERS, "all"]),
                "via": optional(st.sampled_from(values(Via))),
            }
        ),
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("customer"),
                "sender": sender,
                "products": st.lists(st.sampled_from(OFFERS), max_size=2),
            }
        ),
        st.fixed_dictionaries({"at": at, "type": st.just("customer_end"), "sender": sender}),
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("contract"),
                "sender": sender,
                "object": optional(st.sampled_from(OFFERS)),
            }
        ),
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("contract_end"),
                "sender": sender,
                "object": optional(st.sampled_from(OFFERS)),
            }
        ),
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("interaction"),
                "kind": st.sampled_from(values(InteractionKind)),
                "sender": sender,
            }
        ),
        st.fixed_dictionaries(
            {
                "at": at,
                "type": st.just("call"),
                "sender": sender,
                "outcome": optional(st.sampled_from(values(CallOutcome))),
            }
        ),
        st.fixed_dictionaries({"at": at, "type": st.sampled_from(["bloctel", "bloctel_removed"])}),
        st.fixed_dictionaries({"at": at, "type": st.just("opinion_inferred")}),
    ]
    return st.one_of(kinds).map(clean)


requests = st.one_of(
    st.fixed_dictionaries(
        {
            "action": st.just("contact"),
            "channel": st.sampled_from(values(Channel)),
            "purpose": st.sampled_from(values(Purpose)),
            "offer": optional(st.sampled_from(OFFERS)),
            "analogous": st.lists(st.sampled_from(OFFERS), max_size=2),
            "sector": optional(st.sampled_from(values(Sector))),
            "relates_to_profession": st.booleans(),
            "caller_id": optional(st.sampled_from(CALLER_IDS)),
            "message": optional(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "identifies_sender": st.booleans(),
                        "opt_out": st.booleans(),
                        "subject_related": st.booleans(),
                    },
                )
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "action": st.just("analyze"),
            "processing": st.sampled_from(["ads", "stats"]),
            "analysis_purpose": st.sampled_from(values(AnalysisPurpose)),
            "processing_since": optional(
                st.sampled_from(["2015-01-01", "2017-03-31", "2020-01-01"])
            ),
        }
    ),
    st.just({"action": "retain"}),
).map(clean)


@st.composite
def campaigns(
    draw: st.DrawFn,
    request: st.SearchStrategy[dict[str, Any]] = requests,
    at_moments: st.SearchStrategy[datetime] = moments,
) -> dict[str, Any]:
    """A campaign: a moment, a sender and a request, without a person."""
    at = draw(at_moments)
    sender: dict[str, Any] = {
        "id": SENDER,
        "kind": draw(st.sampled_from(["company", "charity", "political", "online_service"])),
    }
    checked = draw(optional(st.integers(-60, 5)))
    if checked is not None:
        sender["bloctel_checked_at"] = iso(at + timedelta(days=checked))
    election = draw(st.one_of(st.none(), st.none(), st.none(), st.integers(-400, 400)))
    if election is not None:
        sender["election_ends"] = (at + timedelta(days=election)).date().isoformat()
    return {"id": "generated", "at": iso(at), "sender": sender, "request": draw(request)}


@st.composite
def people(draw: st.DrawFn, at: datetime, request: dict[str, Any] | None = None) -> dict[str, Any]:
    """A person and their history, around the campaign's moment."""
    person = clean(
        {
            "kind": draw(st.sampled_from(values(PersonKind))),
            "email": draw(st.sampled_from(["someone@example.fr"] * 5 + [None])),
            "phone": draw(optional(st.sampled_from(PHONES))),
            "postal_code": draw(st.sampled_from(POSTAL)),
        }
    )
    return {"person": person, "history": draw(st.lists(event(at, request), max_size=12))}


@st.composite
def cases(draw: st.DrawFn, request: st.SearchStrategy[dict[str, Any]] = requests) -> dict[str, Any]:
    campaign = draw(campaigns(request))
    at = datetime.fromisoformat(campaign["at"])
    return {**campaign, **draw(people(at, campaign["request"]))}


contact_requests = requests.filter(lambda r: r["action"] == "contact")
