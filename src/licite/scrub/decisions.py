"""Rows to decisions: facts in SQL, the law once per distinct situation.

The rules are not rewritten in SQL. `facts_sql` reads each row's history into
the fields of `licite.situation.Facts`; rows that share a situation (the same
person kind, place and facts) share a verdict, so `licite.rules.evaluate` runs
once per distinct situation — a few thousand for millions of rows — and the
verdicts are joined back. A situation travels as one number: a bit for each
yes-or-no fact and a small code for each of the four others (person kind,
place, method, purpose of the collection), so that grouping ten million rows
compares one integer, not thirty-seven columns. `expires_at` is the earliest
of the moments the verdict names, taken per row.

Input tables: `scrub_rows(row_id, person_id, person_kind, place)`,
`scrub_events` and `scrub_marks` (see `facts_sql`). Output: the view
`scrub_results(row_id, allowed, basis, reasons, obligations, warnings,
expires_at_us, skey)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import duckdb

from licite.engine import moment_of
from licite.moments import micros
from licite.places import PLACES_BY_KEY
from licite.rules import Verdict, evaluate
from licite.scrub.duck import insert_rows
from licite.scrub.facts_sql import (
    CODES,
    COMPACT,
    INTERMEDIATE_TABLES,
    OUT_OF_COMPACT,
    WIDE,
    LawAt,
    Order,
    bind,
    steps,
)
from licite.scrub.plan import Plan
from licite.situation import MOMENT_FIELDS, SITUATION_FIELDS, Ask, Facts
from licite.vocabulary import Action, CollectPurpose, Method, PersonKind

_FLAGS: tuple[str, ...] = (
    *(name for name in SITUATION_FIELDS if name not in CODES),
    "has_address",  # the row's, not the person's: it joins the situation as a flag
)
_CODE_BITS = 6
_ENUMS: dict[str, type[Enum]] = {
    "person_kind": PersonKind,
    "method": Method,
    "collected_purpose": CollectPurpose,
}
assert all(len(values) < (1 << _CODE_BITS) for values in CODES.values())
assert len(_FLAGS) + _CODE_BITS * len(CODES) < 63, "a situation must fit in a BIGINT"


@dataclass(frozen=True, slots=True)
class Situation:
    key: int
    count: int
    facts: Facts
    verdict: Verdict
    ask: Ask


def read_facts_sql(con: duckdb.DuckDBPyConnection, plan: Plan, order: Order | None = None) -> None:
    """The statements of `facts_sql`, with positions in `order`; by default in a BIGINT
    where every event fits one (`facts_sql.Order`), else in a HUGEINT."""
    params = plan.sql_params()
    analysis = plan.request.action is Action.ANALYZE
    law = LawAt.of(plan.at)

    def run(chosen: Order) -> None:
        for step in steps(analysis, law, chosen):
            con.execute(bind(step, params))

    if order is not None:
        run(order)
        return
    if COMPACT.holds(micros(plan.at)):
        try:
            run(COMPACT)
            return
        except duckdb.Error as error:
            if OUT_OF_COMPACT not in str(error):
                raise
    run(WIDE)


def situation_key() -> str:
    """The SQL of a row's situation as one BIGINT, from the columns of `scrub_facts`."""
    parts = [f"({name}::BIGINT << {bit})" for bit, name in enumerate(_FLAGS)]
    for index, name in enumerate(CODES):
        parts.append(f"({name}::BIGINT << {len(_FLAGS) + index * _CODE_BITS})")
    return " | ".join(parts)


def decode(key: int) -> tuple[PersonKind, str, bool, Facts]:
    """The person kind, place key, whether the row has the channel's address, and the facts
    a situation key stands for."""
    values: dict[str, object] = {name: bool(key >> bit & 1) for bit, name in enumerate(_FLAGS)}
    bit = len(_FLAGS)
    for name, coded in CODES.items():
        code = key >> bit & ((1 << _CODE_BITS) - 1)
        value = coded[code - 1] if code else None
        enum = _ENUMS.get(name)
        values[name] = enum(value) if enum is not None and value is not None else value
        bit += _CODE_BITS
    person_kind = values.pop("person_kind")
    place = values.pop("place")
    has_address = values.pop("has_address")
    assert isinstance(person_kind, PersonKind) and isinstance(place, str)
    return person_kind, place, bool(has_address), Facts(**values)  # type: ignore[arg-type]


def decide_rows(
    con: duckdb.DuckDBPyConnection, plan: Plan, order: Order | None = None
) -> list[Situation]:
    """Make the view `scrub_results`; returns the distinct situations met, with their counts.
    `order` is for tests: see `read_facts_sql`."""
    read_facts_sql(con, plan, order)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE situated AS
        SELECT row_id, {situation_key()} AS skey, {", ".join(MOMENT_FIELDS)} FROM scrub_facts
    """)
    con.execute("DROP VIEW scrub_facts")
    for name in INTERMEDIATE_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")  # what would only be spilled to disk
    distinct = con.execute("SELECT skey, count(*) FROM situated GROUP BY skey").fetchall()
    situations = []
    for key, count in distinct:
        person_kind, place, has_address, facts = decode(key)
        ask = plan.ask(person_kind, PLACES_BY_KEY[place], has_address=has_address)
        situations.append(Situation(key, count, facts, evaluate(ask, facts), ask))
    _store_verdicts(con, plan, situations)
    least = ", ".join(
        [f"CASE WHEN v.use_{m} THEN s.{m} END" for m in MOMENT_FIELDS] + ["v.constant_us"]
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW scrub_results AS
        SELECT s.row_id, v.allowed, v.basis, v.reasons, v.obligations, v.warnings,
               CASE WHEN v.allowed THEN least({least}) END AS expires_at_us, s.skey
        FROM situated s JOIN verdicts v USING (skey)
    """)
    _store_provenance(con, situations)
    return situations


def _store_provenance(con: duckdb.DuckDBPyConnection, situations: Sequence[Situation]) -> None:
    """Where the data came from, for the report (the latest collection of each row)."""
    counts: dict[str, int] = {}
    for situation in situations:
        facts = situation.facts
        if facts.collected:
            method = facts.method.value if facts.method else "-"
            counts[method] = counts.get(method, 0) + situation.count
    con.execute("CREATE OR REPLACE TEMP TABLE provenance (method VARCHAR, n BIGINT)")
    insert_rows(con, "provenance", (("method", "VARCHAR"), ("n", "BIGINT")), sorted(counts.items()))


_VERDICT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("skey", "BIGINT"),
    ("allowed", "BOOLEAN"),
    ("basis", "VARCHAR"),
    ("reasons", "VARCHAR[]"),
    ("obligations", "VARCHAR[]"),
    ("warnings", "VARCHAR[]"),
    ("constant_us", "BIGINT"),
    *((f"use_{m}", "BOOLEAN") for m in MOMENT_FIELDS),
)


def _store_verdicts(
    con: duckdb.DuckDBPyConnection, plan: Plan, situations: list[Situation]
) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE verdicts ("
        + ", ".join(f"{name} {kind}" for name, kind in _VERDICT_COLUMNS)
        + ")"
    )
    rows = []
    for situation in situations:
        verdict = situation.verdict
        # Moments of the request and the row's place, not of the person (the transition's
        # end, the list's freshness, the calling window's end…).
        constants = [
            moment
            for name in verdict.expires
            if name not in MOMENT_FIELDS
            and (moment := moment_of(name, situation.ask, Facts())) is not None
        ]
        rows.append(
            (
                situation.key,
                verdict.allowed,
                verdict.basis,
                list(verdict.reasons),
                list(verdict.obligations),
                list(verdict.warnings),
                micros(min(constants)) if constants else None,
                *(m in verdict.expires for m in MOMENT_FIELDS),
            )
        )
    insert_rows(con, "verdicts", _VERDICT_COLUMNS, rows)
