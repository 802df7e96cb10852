"""Rows to decisions: facts in SQL, the law once per distinct situation.

The rules are not rewritten in SQL. `facts_sql` reads each row's history into
the fields of `licite.situation.Facts`; rows that share a situation (the same
person kind, place and facts) share a verdict, so `licite.rules.evaluate` runs
once per distinct situation — a few thousand for millions of rows — and the
verdicts are joined back. `expires_at` is the earliest of the moments the
verdict names, taken per row.

Input tables: `scrub_rows(row_id, person_kind, place)` and `scrub_events`
(see `facts_sql`). Output: `scrub_results(row_id, allowed, basis, reasons,
obligations, warnings, expires_at_us)`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import duckdb

from licite.engine import moment_of
from licite.ledger.rows import micros
from licite.places import PLACES_BY_KEY
from licite.rules import Verdict, evaluate
from licite.scrub.duck import insert_rows
from licite.scrub.facts_sql import INTERMEDIATE_TABLES, STEPS, bind
from licite.scrub.plan import Plan
from licite.situation import MOMENT_FIELDS, SITUATION_FIELDS, Facts
from licite.vocabulary import CollectPurpose, Method, PersonKind

_DEFAULTS = {f.name: f.default for f in fields(Facts)}
KEY_COLUMNS: tuple[str, ...] = ("person_kind", "place", *SITUATION_FIELDS)
_ENUMS: dict[str, type[Method] | type[CollectPurpose]] = {
    "method": Method,
    "collected_purpose": CollectPurpose,
}


@dataclass(frozen=True, slots=True)
class Situation:
    key: str
    count: int
    verdict: Verdict


def read_facts_sql(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    params = plan.sql_params()
    for step in STEPS:
        con.execute(bind(step, params))


def decide_rows(con: duckdb.DuckDBPyConnection, plan: Plan) -> list[Situation]:
    """Fill `scrub_results`; returns the distinct situations met, with their counts."""
    read_facts_sql(con, plan)
    situation_columns = ", ".join(
        f"coalesce(f.{name}, {_sql_default(name)}) AS {name}" for name in SITUATION_FIELDS
    )
    # Rows are grouped by a 64-bit hash of their situation; should two situations ever
    # share one, the grouping is redone on the situation spelled out as text.
    distinct = _situate(con, situation_columns, f"hash({', '.join(KEY_COLUMNS)})")
    if len({row[0] for row in distinct}) != len(distinct):
        key = " || '|' || ".join(f"coalesce({name}::VARCHAR, '-')" for name in KEY_COLUMNS)
        distinct = _situate(con, situation_columns, f"({key})")
    situations = [Situation(row[0], row[1], _evaluate(plan, row[2:])) for row in distinct]
    _store_verdicts(con, plan, situations)
    least = ", ".join(
        [f"CASE WHEN v.use_{m} THEN s.{m} END" for m in MOMENT_FIELDS] + ["v.constant_us"]
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE scrub_results AS
        SELECT s.row_id, v.allowed, v.basis, v.reasons, v.obligations, v.warnings,
               CASE WHEN v.allowed THEN least({least}) END AS expires_at_us, s.skey
        FROM situated s JOIN verdicts v USING (skey)
    """)
    # Where the data came from, for the report (the latest collection of each row).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE provenance AS SELECT coalesce(method, '-') AS method,"
        " count(*) AS n FROM situated WHERE collected GROUP BY ALL"
    )
    con.execute("DROP VIEW scrub_facts")
    for name in ("situated", *INTERMEDIATE_TABLES):
        con.execute(f"DROP TABLE IF EXISTS {name}")  # what would only be spilled to disk
    return situations


def _situate(
    con: duckdb.DuckDBPyConnection, situation_columns: str, key: str
) -> list[tuple[Any, ...]]:
    """Table `situated` (each row's situation and its key); the distinct situations."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE situated AS
        SELECT *, {key}::VARCHAR AS skey FROM (
          SELECT r.row_id, r.person_kind, r.place, {situation_columns},
                 {", ".join(f"f.{m}" for m in MOMENT_FIELDS)}
          FROM scrub_rows r LEFT JOIN scrub_facts f USING (row_id))
    """)
    return con.execute(
        f"SELECT skey, count(*), {', '.join(KEY_COLUMNS)} FROM situated GROUP BY ALL"
    ).fetchall()


def _sql_default(name: str) -> str:
    value = _DEFAULTS[name]
    if value is None:
        return "NULL"
    return "true" if value else "false"


def _evaluate(plan: Plan, values: tuple[object, ...]) -> Verdict:
    person_kind, place, *facts = values
    arguments: dict[str, object] = {}
    for name, value in zip(SITUATION_FIELDS, facts, strict=True):
        arguments[name] = (
            _ENUMS[name](str(value)) if name in _ENUMS and value is not None else value
        )
    situation = Facts(**arguments)  # type: ignore[arg-type]
    ask = plan.ask(PersonKind(str(person_kind)), PLACES_BY_KEY[str(place)])
    return evaluate(ask, situation)


_VERDICT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("skey", "VARCHAR"),
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
    campaign_ask = plan.ask(PersonKind.CONSUMER, PLACES_BY_KEY["metropole"])
    for situation in situations:
        verdict = situation.verdict
        # Moments that are the campaign's (the transition's end, the list's freshness…).
        constants = [
            moment
            for name in verdict.expires
            if name not in MOMENT_FIELDS
            and (moment := moment_of(name, campaign_ask, Facts())) is not None
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
