"""One law: the batch scrub and `licite decide` agree on every contact.

Random campaigns (every action, channel, purpose and era) over random people
and histories: each contact's history goes into DuckDB the way the ledger
stores it, the scrub's SQL reads the facts and the rules decide once per
distinct situation; `licite.engine.decide` decides each case alone. They must
agree on `allowed`, `basis`, the set of reason codes, obligations, warnings
and `expires_at`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.case import load_campaign, load_case
from licite.engine import decide
from licite.errors import NotModelled
from licite.ledger.rows import FIELD_COLUMNS, fields_of, micros
from licite.scrub.decisions import decide_rows
from licite.scrub.duck import connect
from licite.scrub.facts_sql import code_of
from licite.scrub.normalize import install
from licite.scrub.plan import Plan
from tests.strategies import campaigns, people

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


def scrub_in_duckdb(campaign: dict[str, Any], crowd: list[dict[str, Any]]) -> dict[int, Any]:
    plan = Plan.of(load_campaign(campaign))
    con = connect(threads=1)
    install(con)
    con.execute(
        "CREATE TEMP TABLE contacts (row_id BIGINT, kind VARCHAR, phone VARCHAR,"
        " postal_code VARCHAR)"
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
            "INSERT INTO contacts VALUES (?, ?, ?, ?)",
            [row_id, person.kind.value, person.phone, person.postal_code],
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
    con.execute(
        f"CREATE TEMP TABLE scrub_events AS SELECT {casts} FROM raw_events"
        f" WHERE at_us <= {micros(plan.at)}"
    )
    con.execute(
        "CREATE TEMP TABLE scrub_rows AS SELECT row_id, 'p' || row_id AS person_id,"
        f" {code_of('person_kind', 'kind')} AS person_kind,"
        f" {code_of('place', 'place_key(postal_code, phone)')} AS place FROM contacts"
    )
    con.execute(
        "CREATE TEMP TABLE scrub_marks (row_id BIGINT, bloctel_at BIGINT,"
        " bloctel_listed BOOLEAN, erased_at BIGINT)"
    )
    decide_rows(con, plan)
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
@given(campaign_with_people())
def test_scrub_and_decide_agree(sample: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    campaign, crowd = sample
    try:
        scrubbed = scrub_in_duckdb(campaign, crowd)
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
