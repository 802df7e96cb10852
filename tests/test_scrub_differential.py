"""One law: the batch scrub and `licite decide` agree on every contact.

Random campaigns (every action, channel, purpose and era) over random people
and histories: each contact's history goes into DuckDB the way the ledger
stores it, the scrub's SQL reads the facts and the rules decide once per
distinct situation; `licite.engine.decide` decides each case alone. They must
agree on `allowed`, `basis`, the set of reason codes, obligations, warnings
and `expires_at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.case import load_campaign, load_case
from licite.engine import decide
from licite.errors import NotModelled
from licite.ledger.rows import FIELD_COLUMNS, fields_of
from licite.moments import PARIS, micros
from licite.parameters import period, start
from licite.scrub.decisions import decide_rows
from licite.scrub.duck import connect
from licite.scrub.facts_sql import WIDE, Order, code_of
from licite.scrub.normalize import install
from licite.scrub.plan import Plan
from licite.vocabulary import ADDRESS_OF_CHANNEL, INDIRECT_METHODS, Action, Channel, Method
from tests.strategies import (
    CALLER_IDS,
    OFFERS,
    SENDER,
    campaigns,
    clean,
    contact_requests,
    event_at,
    iso,
    people,
    period_edge,
)

EVENT_COLUMNS = ("person_id", "seq", "at_us", "type", *FIELD_COLUMNS)
BOOLEANS = {
    "informed",
    "terms_forbid_reuse",
    "opt_out_offered",
    "partner_consent",
    "partners_named",
    "consent_proof",
    "outside_hours",
}


@st.composite
def campaign_with_people(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    campaign = draw(campaigns())
    at = datetime.fromisoformat(campaign["at"])
    return campaign, draw(st.lists(people(at, campaign["request"]), min_size=1, max_size=25))


def scrub_in_duckdb(
    campaign: dict[str, Any],
    crowd: list[dict[str, Any]],
    order: Order | None = None,
    ranks_from: int = 0,
) -> dict[int, Any]:
    """The scrub's verdicts on `crowd`, each entry a person of its own, with its events'
    positions as `order` says (else as the scrub chooses), their ranks at an instant
    counted from `ranks_from`."""
    plan = Plan.of(load_campaign(campaign))
    channel = plan.request.channel if plan.request.action is Action.CONTACT else None
    has_address = f"{ADDRESS_OF_CHANNEL[channel]} IS NOT NULL" if channel else "true"
    con = connect(threads=1)
    install(con)
    con.execute(
        "CREATE TEMP TABLE contacts (row_id BIGINT, kind VARCHAR, email VARCHAR,"
        " phone VARCHAR, postal_code VARCHAR)"
    )
    columns = ", ".join(
        f"{c} {'BIGINT' if c in ('seq', 'at_us', 'informed_at_us') else 'VARCHAR'}"
        for c in EVENT_COLUMNS
    )
    con.execute(f"CREATE TEMP TABLE raw_events ({columns})")
    seq = 0
    for row_id, entry in enumerate(crowd):
        case = load_case({**campaign, **entry})
        person = case.person
        con.execute(
            "INSERT INTO contacts VALUES (?, ?, ?, ?, ?)",
            [row_id, person.kind.value, person.email, person.phone, person.postal_code],
        )
        for event in case.history:
            seq += 1
            values = [
                None if v is None else str(v) if not isinstance(v, int) else v
                for v in fields_of(event)
            ]
            con.execute(
                f"INSERT INTO raw_events VALUES ({', '.join('?' * len(EVENT_COLUMNS))})",
                [f"p{row_id}", seq, micros(event.at), event.type, *values],
            )
    casts = ", ".join(f"{c}::BOOLEAN AS {c}" if c in BOOLEANS else c for c in EVENT_COLUMNS)
    # `tie` as the ledger keeps it (schema v4): the rank among the person's events at the
    # same instant, in the order they were appended.
    con.execute(
        f"CREATE TEMP TABLE scrub_events AS SELECT {casts},"
        f" row_number() OVER (PARTITION BY person_id, at_us ORDER BY seq) - 1 + {ranks_from}"
        " AS tie"
        f" FROM raw_events WHERE at_us <= {micros(plan.at)}"
    )
    con.execute(
        "CREATE TEMP TABLE scrub_rows AS SELECT row_id, 'p' || row_id AS person_id,"
        f" {code_of('person_kind', 'kind')} AS person_kind,"
        f" {code_of('place', 'place_key(postal_code, phone)')} AS place,"
        f" {has_address} AS has_address FROM contacts"
    )
    con.execute(
        "CREATE TEMP TABLE scrub_marks (row_id BIGINT, bloctel_at BIGINT,"
        " bloctel_listed BOOLEAN, erased_at BIGINT, stop_first BIGINT, stop_last BIGINT)"
    )
    decide_rows(con, plan, order)
    rows = con.execute(
        "SELECT row_id, allowed, basis, reasons, obligations, warnings,"
        " expires_at_us FROM scrub_results"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(campaign_with_people(), st.booleans())
def test_scrub_and_decide_agree(
    sample: tuple[dict[str, Any], list[dict[str, Any]]], wide: bool
) -> None:
    campaign, crowd = sample
    try:
        scrubbed = scrub_in_duckdb(campaign, crowd, WIDE if wide else None)
    except NotModelled:
        with pytest.raises(NotModelled):
            decide(load_case({**campaign, **crowd[0]}))
        return
    assert len(scrubbed) == len(crowd)
    for row_id, entry in enumerate(crowd):
        alone = decide(load_case({**campaign, **entry}))
        allowed, basis, reasons, obligations, warnings, expires_us = scrubbed[row_id]
        where = f"row {row_id}: {entry}, campaign {campaign}, scrub {scrubbed[row_id]}"
        assert allowed == alone.allowed, where
        assert basis == alone.basis, where
        assert set(reasons) == set(alone.codes), where
        assert set(obligations) == {o.code for o in alone.obligations}, where
        assert set(warnings) == {w.code for w in alone.warnings}, where
        expected = None if alone.expires_at is None else micros(alone.expires_at)
        assert expires_us == expected, where


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(campaign_with_people())
def test_ranks_the_compact_positions_cannot_hold_are_read_wide(
    sample: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    # Ranks past 1 022 stop the compact statement (facts_sql.OUT_OF_COMPACT); the scrub
    # reads the facts again in HUGEINT positions, which order the same histories.
    campaign, crowd = sample
    try:
        wide = scrub_in_duckdb(campaign, crowd, WIDE)
    except NotModelled:
        return
    assert scrub_in_duckdb(campaign, crowd, ranks_from=2000) == wide


# Facts read from a person's rare events decide only a few campaigns: the tests below
# draw those campaigns, and histories made of the events concerned, so that the
# combinations that matter are met in every run, not now and then.
_RARE_CHANNEL = st.sampled_from([None, "all", "all", "email", "sms", "phone_call"])
_RARE_SENDER = st.sampled_from([SENDER, SENDER, "partner", "all", None])


def political_event(at: datetime) -> st.SearchStrategy[dict[str, Any]]:
    """A political consent or a withdrawal, on any channel or all, from any sender."""
    moment = event_at(at)
    consent = st.fixed_dictionaries(
        {
            "at": moment,
            "type": st.just("consent"),
            "channel": _RARE_CHANNEL,
            "purpose": st.sampled_from(["political", "political", "commercial"]),
            "sender": _RARE_SENDER.filter(lambda s: s != "all"),
            "mechanism": st.sampled_from(["checkbox", "double_opt_in", "preticked", None]),
        }
    )
    withdrawal = st.fixed_dictionaries(
        {
            "at": moment,
            "type": st.just("withdrawal"),
            "channel": _RARE_CHANNEL,
            "purpose": st.sampled_from([None, "political", "commercial"]),
            "processing": st.sampled_from([None, None, "ads"]),
            "sender": _RARE_SENDER,
        }
    )
    return st.one_of(consent, withdrawal).map(clean)


def contract_event(at: datetime) -> st.SearchStrategy[dict[str, Any]]:
    """A contract or its end, about one offer or none, from this sender or another."""
    return st.fixed_dictionaries(
        {
            "at": event_at(at),
            "type": st.sampled_from(["contract", "contract_end", "contract"]),
            "sender": st.sampled_from([SENDER, SENDER, "partner", None]),
            "object": st.sampled_from([None, *OFFERS[:2]]),
        }
    ).map(clean)


def near(at: datetime, days: int) -> st.SearchStrategy[str]:
    """A moment in the `days` before `at`, often at the edge of the call rules' periods
    (30 days for the cap, 60 for a refusal), sometimes at `at` or just after it."""
    return st.one_of(
        st.integers(-days * 24 * 60, 0).map(lambda m: iso(at + timedelta(minutes=m))),
        period_edge(at, _call_periods(at), st.sampled_from([-1, 0, 0, 1])),
        st.just(iso(at)),
        st.integers(1, 60).map(lambda m: iso(at + timedelta(minutes=m))),
    )


def _call_periods(at: datetime) -> list[tuple[int, int]]:
    """The call cap's window and the cooldown after a refusal, as the law says at `at`."""
    return [
        (-p.days, -p.months) for p in (period("call_window", at), period("refusal_cooldown", at))
    ]


def call_event(at: datetime) -> st.SearchStrategy[dict[str, Any]]:
    """A call, most often by this sender in the last thirty days (four of them cap the
    next), or at the edges of the cap's and a refusal's periods."""
    return st.fixed_dictionaries(
        {
            "at": st.one_of(near(at, 30), near(at, 30), near(at, 75)),
            "type": st.just("call"),
            "sender": st.sampled_from([SENDER, SENDER, SENDER, SENDER, "partner", None]),
            "outcome": st.sampled_from([None, "refused", "accepted", "no_answer", "no_answer"]),
        }
    ).map(clean)


def collection_event(at: datetime) -> st.SearchStrategy[dict[str, Any]]:
    """A collection around the moment, the person told at it, later, or not yet."""
    moment = st.one_of(near(at, 45), event_at(at))
    indirect = sorted(m.value for m in INDIRECT_METHODS)
    return st.fixed_dictionaries(
        {
            "at": moment,
            "type": st.just("collected"),
            "method": st.sampled_from([*indirect, *indirect, *(m.value for m in Method)]),
            "informed": st.sampled_from([None, False, False, True]),
            "informed_at": st.one_of(st.none(), st.none(), moment, near(at, 45)),
            "opt_out_offered": st.booleans(),
            "partner_consent": st.booleans(),
            "partners_named": st.booleans(),
            "consent_proof": st.booleans(),
        }
    ).map(clean)


@st.composite
def focused(
    draw: st.DrawFn,
    request: st.SearchStrategy[dict[str, Any]],
    history: Any,
    election_over: bool = False,
    since: datetime | None = None,
    events: int = 6,
    at_moments: st.SearchStrategy[datetime] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    moments = campaigns(request) if at_moments is None else campaigns(request, at_moments)
    if since is not None:
        moments = moments.filter(lambda c: datetime.fromisoformat(c["at"]) >= since)
    campaign = draw(moments)
    at = datetime.fromisoformat(campaign["at"])
    if election_over:  # only consenting people (and regular contacts) remain
        over = at - timedelta(days=draw(st.integers(1, 400)))
        campaign["sender"] = {**campaign["sender"], "election_ends": over.date().isoformat()}
    crowd = draw(st.lists(people(at, campaign["request"]), min_size=1, max_size=25))
    histories = st.lists(history(at), min_size=1, max_size=events)
    return campaign, [{**entry, "history": draw(histories)} for entry in crowd]


def phone_event(at: datetime) -> st.SearchStrategy[dict[str, Any]]:
    """A phone consent, a call (often refused) around it, or a collection: a refusal during
    a call takes back the consent given before it, from 11 Aug. 2026 (SPEC 1.5, v2)."""
    consent = st.fixed_dictionaries(
        {
            "at": st.one_of(near(at, 120), st.just(iso(start("phone_opt_in") - timedelta(days=3)))),
            "type": st.just("consent"),
            "channel": st.sampled_from(["phone_call", "phone_call", "all", "email"]),
            "purpose": st.sampled_from(["commercial", "commercial", "charitable"]),
            "sender": st.sampled_from([SENDER, SENDER, "partner", None]),
            "mechanism": st.sampled_from(["checkbox", "oral_recorded", None]),
            "outside_hours": st.sampled_from([None, None, True]),
        }
    )
    refusal = st.fixed_dictionaries(
        {
            "at": st.one_of(
                near(at, 120),
                st.sampled_from(
                    [iso(start("phone_opt_in") - timedelta(seconds=1)), iso(start("phone_opt_in"))]
                ),
            ),
            "type": st.just("call"),
            "sender": st.sampled_from([SENDER, SENDER, "partner", None]),
            "outcome": st.sampled_from(["refused", "refused", "accepted"]),
        }
    )
    return st.one_of(consent, refusal, collection_event(at)).map(clean)


def relationship_event(at: datetime) -> st.SearchStrategy[dict[str, Any]]:
    """What starts and ends a customer relationship or a prospect's clock: purchases,
    contracts and their ends, direct and indirect (re-)collections, positive acts and
    opens (SPEC 1.6, v2)."""
    moment = event_at(at)
    sender = st.sampled_from([SENDER, SENDER, "partner", None])
    return st.one_of(
        st.fixed_dictionaries(
            {
                "at": moment,
                "type": st.sampled_from(["customer", "customer_end"]),
                "sender": sender,
            }
        ),
        contract_event(at),
        collection_event(at),
        st.fixed_dictionaries(
            {
                "at": moment,
                "type": st.just("interaction"),
                "kind": st.sampled_from(["click", "open", "purchase", "call_answered"]),
                "sender": sender,
            }
        ),
    ).map(clean)


def _local_holiday_moments() -> st.SearchStrategy[datetime]:
    """Mornings of days that are holidays somewhere in France (national, Alsace-Moselle,
    overseas), in the zones the places keep."""
    days = [
        "2024-03-29", "2024-12-26", "2025-04-18", "2025-12-26", "2026-04-03", "2026-04-27",
        "2026-05-22", "2026-05-27", "2026-06-10", "2026-12-21", "2027-07-14", "2026-11-11",
    ]  # fmt: skip
    return st.builds(
        lambda day, hour, zone: datetime.fromisoformat(f"{day}T{hour:02d}:30:00").replace(
            tzinfo=zone
        ),
        st.sampled_from(days),
        st.integers(8, 20),
        st.sampled_from([PARIS, timezone(timedelta(hours=-4)), timezone(timedelta(hours=4))]),
    )


FOCUSED = {
    # The election rule: a political consent stands until a later withdrawal names its
    # channel, or all of them.
    "political": focused(
        st.fixed_dictionaries(
            {
                "action": st.just("contact"),
                "channel": st.sampled_from([c.value for c in Channel]),
                "purpose": st.just("political"),
            }
        ),
        political_event,
        election_over=True,
    ),
    # A call about a contract in progress (L. 223-1) or during one (the sector bans).
    "contracts": focused(
        st.fixed_dictionaries(
            {
                "action": st.just("contact"),
                "channel": st.just("phone_call"),
                "purpose": st.just("commercial"),
                "offer": st.sampled_from([None, *OFFERS[:2]]),
                "sector": st.sampled_from([None, "energy_renovation"]),
            }
        ).map(clean),
        contract_event,
    ),
    # D. 223-9: four calls in thirty days, or a refusal in the last sixty, stop the next.
    "calls": focused(
        st.fixed_dictionaries(
            {
                "action": st.just("contact"),
                "channel": st.just("phone_call"),
                "purpose": st.just("commercial"),
            }
        ),
        call_event,
        since=start("calling_rules"),
        events=8,
    ),
    # RGPD art. 14: the person told at the collection, later (informed_at), or not yet,
    # and the month to tell them; the latest collection decides.
    "collections": focused(contact_requests, collection_event),
    # L223-1 (v2): a refused call takes the phone consent back, from 11 Aug. 2026; the press
    # keeps its exception; caller IDs in and out of Arcep's ranges.
    "refusals": focused(
        st.fixed_dictionaries(
            {
                "action": st.just("contact"),
                "channel": st.just("phone_call"),
                "purpose": st.just("commercial"),
                "offer": st.sampled_from([None, *OFFERS[:2]]),
                "sector": st.sampled_from([None, None, "press"]),
                "caller_id": st.sampled_from([None, *CALLER_IDS]),
            }
        ).map(clean),
        phone_event,
        events=8,
        at_moments=st.integers(-20 * 24 * 60, 150 * 24 * 60).map(
            lambda m: start("phone_opt_in") + timedelta(minutes=m)
        ),
    ),
    # The retention clock (v2): a one-off buyer, a contract that makes a customer, an
    # indirect re-collection that never restarts the clock.
    "relationships": focused(
        st.fixed_dictionaries(
            {
                "action": st.sampled_from(["retain", "retain", "contact"]),
                "channel": st.just("email"),
                "purpose": st.just("commercial"),
                "offer": st.sampled_from([None, *OFFERS[:2]]),
                "analogous": st.lists(st.sampled_from(OFFERS[:3]), max_size=2),
            }
        ).map(lambda r: r if r["action"] == "contact" else {"action": "retain"}),
        relationship_event,
        events=8,
    ),
    # D. 223-9 (v2): national holidays forbid, a place's own holidays warn.
    "holidays": focused(
        st.fixed_dictionaries(
            {
                "action": st.just("contact"),
                "channel": st.just("phone_call"),
                "purpose": st.just("commercial"),
                "offer": st.sampled_from(OFFERS[:2]),
                "analogous": st.lists(st.sampled_from(OFFERS), max_size=2),
            }
        ),
        lambda at: st.one_of(contract_event(at), phone_event(at)),
        at_moments=_local_holiday_moments(),
    ),
}


@pytest.mark.parametrize("name", sorted(FOCUSED))
def test_scrub_and_decide_agree_where_rare_events_decide(name: str) -> None:
    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(FOCUSED[name], st.booleans())
    def agree(sample: tuple[dict[str, Any], list[dict[str, Any]]], wide: bool) -> None:
        inner = test_scrub_and_decide_agree.hypothesis.inner_test  # type: ignore[attr-defined]
        inner(sample, wide)

    agree()
