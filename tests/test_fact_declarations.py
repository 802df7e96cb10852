"""Which events each fact reads is declared once (licite/facts/declared.py, issue 14).

Three claims, each tested by trying to break it:
- each declaration's two renderings agree: on random events and requests, the compiled
  Python condition and the DuckDB SQL condition (over the columns the ledger stores) say
  the same for every event of the declaration's type — missing fields included;
- both readers follow a changed declaration: with a declaration changed (an email open
  counted as a positive act, as Spartoo did; an objection by email read as one to every
  channel; the calls of every sender counted towards the cap), `licite decide` and the
  scrub's SQL decide an edge case the same way, and differently from the shipped law;
- every parameter a declaration reads is a value of the request's scope, given to both.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

from licite.case import EVENT_TYPES, Objection, load_case
from licite.facts.declared import (
    DECLARED,
    MINE,
    MINE_OR_ALL,
    PERIODS,
    SYNTHETIC,
    predicate,
    use_declarations,
)
from licite.facts.expr import In, Since, on_event
from licite.facts.scope import Scope
from licite.ledger.rows import FIELD_COLUMNS, fields_of
from licite.moments import micros
from licite.parameters import parameters
from licite.scrub.facts_sql import bind
from licite.vocabulary import POSITIVE_INTERACTIONS, InteractionKind
from tests.builders import case, collected, email_consent
from tests.test_law_parameters import _decided, _scrubbed
from tests.test_scrub_differential import BOOLEANS, campaign_with_people

_TYPED = {"informed_at_us": "BIGINT", "at_us": "BIGINT", **dict.fromkeys(BOOLEANS, "BOOLEAN")}


def _sql_verdicts(
    con: duckdb.DuckDBPyConnection, scope: Scope, events: list[Any]
) -> list[dict[str, bool]]:
    """Each event's verdict under every declaration of its type, as the scrub's SQL has it."""
    columns = ", ".join(f"{c} {_TYPED.get(c, 'VARCHAR')}" for c in ("at_us", *FIELD_COLUMNS))
    con.execute(f"CREATE OR REPLACE TEMP TABLE ev (i INTEGER, type VARCHAR, {columns})")
    for i, event in enumerate(events):
        values = [
            None if v is None else v if isinstance(v, int) else str(v) for v in fields_of(event)
        ]
        con.execute(
            f"INSERT INTO ev VALUES ({', '.join('?' * (3 + len(FIELD_COLUMNS)))})",
            [i, event.type, micros(event.at), *values],
        )
    names = list(DECLARED)
    tests = ", ".join(
        f"CASE WHEN type = '{DECLARED[n].event}' THEN {DECLARED[n].when.sql()} END AS {n}"
        for n in names
    )
    sql = f"""SELECT {tests} FROM (SELECT *, {MINE.column()} AS mine,
        {MINE_OR_ALL.column()} AS mine_or_all FROM ev) ORDER BY i"""
    rows = con.execute(bind(sql, scope.sql_params())).fetchall()
    return [{n: v for n, v in zip(names, row, strict=True) if v is not None} for row in rows]


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(campaign_with_people())
def test_each_declaration_reads_an_event_alike_in_python_and_sql(
    sample: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    campaign, crowd = sample
    con = duckdb.connect()
    for entry in crowd:
        loaded = load_case({**campaign, **entry})
        scope = Scope(loaded.request, loaded.sender.id, loaded.at)
        events = list(loaded.history)
        for event, in_sql in zip(events, _sql_verdicts(con, scope, events), strict=True):
            in_python = {
                n: predicate(n)(event, scope) for n, s in DECLARED.items() if s.event == event.type
            }
            assert in_python == in_sql, f"{event!r} for {loaded.request!r}"


def test_every_declared_parameter_is_a_value_of_the_scope() -> None:
    document = case("2026-12-01T10:00:00+01:00")
    loaded = load_case(document)
    scope = Scope(loaded.request, "shop", loaded.at)
    given_to_sql = scope.sql_params()
    for name, selection in DECLARED.items():
        for parameter in selection.when.params():
            assert parameter in given_to_sql, f"{name}: ${parameter} is not bound by the scrub"
            assert hasattr(scope, parameter), f"{name}: q.{parameter} is not in the scope"
    assert set(PERIODS.values()) <= set(parameters())


# A changed declaration, and a case whose decision it changes.
_OPEN_IS_POSITIVE = MINE & In("kind", POSITIVE_INTERACTIONS | {InteractionKind.OPEN})
_RETAIN = {"action": "retain"}
_SMS = {"action": "contact", "channel": "sms", "purpose": "commercial", "offer": "shoes"}
_CALL = {"action": "contact", "channel": "phone_call", "purpose": "commercial", "offer": "shoes"}
_CHANGES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # Spartoo (CNIL SAN-2020-003): an open is no positive act; counted as one, a prospect
    # collected in 2022 who opened a mail in 2025 would be kept in December 2026.
    "an open counted as a positive act": (
        {"positive_interaction": _OPEN_IS_POSITIVE},
        case(
            "2026-12-01T10:00:00+01:00",
            request=_RETAIN,
            history=[
                collected("2022-06-01"),
                {
                    "at": "2025-06-01T10:00:00+02:00",
                    "type": "interaction",
                    "kind": "open",
                    "sender": "shop",
                },
            ],
        ),
    ),
    # An objection names its channel: read as one to every channel, an email objection
    # would stop the SMS the person consented to.
    "an objection read as one to every channel": (
        {"objection_here": MINE_OR_ALL},
        case(
            "2026-12-01T10:00:00+01:00",
            request=_SMS,
            history=[
                collected("2024-01-10"),
                email_consent("2024-01-10", channel="sms"),
                {
                    "at": "2024-03-01T10:00:00+01:00",
                    "type": "objection",
                    "channel": "email",
                    "sender": "shop",
                },
            ],
        ),
    ),
    # D. 223-9 counts the calls of the professional: counting another sender's calls
    # would cap this one.
    "every sender's calls counted towards the cap": (
        {"recent_call": Since("calls_from", "at")},
        case(
            "2026-12-02T11:00:00+01:00",
            request=_CALL,
            history=[
                collected("2024-01-10"),
                email_consent("2026-09-01", channel="phone_call"),
                *(
                    {
                        "at": f"2026-11-{day}T11:00:00+01:00",
                        "type": "call",
                        "sender": "other",
                        "outcome": "no_answer",
                    }
                    for day in ("10", "12", "16", "20")
                ),
            ],
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(_CHANGES))
def test_a_changed_declaration_changes_both_paths_alike(name: str) -> None:
    changed, document = _CHANGES[name]
    before = _decided(document)
    assert _scrubbed(document) == before, "the shipped declarations: scrub and decide agree"
    with use_declarations(**changed):
        after = _decided(document)
        scrubbed = _scrubbed(document)
    assert after != before, f"{name}: the edge case must depend on the declaration"
    assert scrubbed == after, f"{name}: one reader kept its own reading"
    assert _decided(document) == before, "the declarations are restored after the block"


def test_an_unknown_declaration_cannot_be_changed() -> None:
    with pytest.raises(KeyError, match="no such declaration"), use_declarations(nothing=MINE):
        pass


def test_every_declaration_is_of_a_known_event_type() -> None:
    assert {s.event for s in DECLARED.values()} <= set(EVENT_TYPES)
    assert all(s.fact and s.fold for s in DECLARED.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaign_with_people())
def test_the_events_the_ledger_never_stores_are_read_alike(
    sample: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    """An erasure's objection and a STOP texted: the scrub reads them through the
    declarations with their fields (`on_event`); the engine reads the events
    `ledger.history` builds from the same fields."""
    campaign, crowd = sample
    loaded = load_case({**campaign, **crowd[0]})
    scope = Scope(loaded.request, loaded.sender.id, loaded.at)
    con = duckdb.connect()
    for shape in SYNTHETIC.values():
        for sender in (None, scope.s, "all") if "sender" not in shape else (shape["sender"],):
            fields = {**shape, **({"sender": sender} if sender else {})}
            event = Objection(at=loaded.at, **fields)
            for name, selection in DECLARED.items():
                if selection.event != "objection":
                    continue
                sql = bind(f"SELECT {on_event(selection.when, fields).sql()}", scope.sql_params())
                row = con.execute(sql).fetchone()
                assert row is not None
                assert row[0] == predicate(name)(event, scope), (name, fields)


def test_every_declaration_is_read_by_both_readers() -> None:
    """A declaration one reader ignores would be a reading of the law in one path only."""
    import inspect
    import re

    from licite.facts import reader
    from licite.scrub import facts_sql

    in_python = set(re.findall(r"\bd\.(\w+)\(", inspect.getsource(reader)))
    sql_source = inspect.getsource(facts_sql)
    in_sql = {
        *facts_sql._ROLES,
        *facts_sql._FLAGS,
        *re.findall(r"declared_sql\([\"'](\w+)[\"']\)", sql_source),
        *re.findall(r"_when\([\"'](\w+)[\"']", sql_source),
    } - set(facts_sql._OWN_ROLES)
    assert in_python == set(DECLARED), set(DECLARED) ^ in_python
    assert in_sql == set(DECLARED), set(DECLARED) ^ in_sql
