"""The canonical encoding is computed in three places that must agree to the byte:
Python when appending (`rows.fact_row`, `rows.ENCODE`), and each store when
verifying (SQLite's `json_array`, PostgreSQL's `to_json`). Checked here over
every kind of event and over awkward text: any unicode, quotes, backslashes,
control characters, and the largest integers a column holds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.case import load_events, personal_address_in
from licite.ledger.chain import EVENTS
from licite.ledger.rows import BOOLEAN_COLUMNS, CHAINED_COLUMNS, ENCODE, event_facts, fact_row
from licite.ledger.schema import _events_table
from licite.moments import PARIS
from tests import strategies
from tests.test_ledger_support import postgres_schema

# Text as the import lets it in: anything but NUL, which it rejects (SQLite's text ends
# there). Surrogates cannot be encoded as UTF-8, so no store ever holds one.
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
AWKWARD = st.one_of(
    TEXT,
    st.sampled_from(['"', "\\", '\\"', "\n", "\x1f", "\x7f", "\u2028", "é", "😀", "%s", "{}"]),
    st.lists(st.sampled_from(['"', "\\", "\b\f\n\r\t", "\x01", "ü", "😀", "a"])).map("".join),
)
BIG = st.integers(-(2**63), 2**63 - 1)


def _texts(data: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    """The event with each free-text field replaced by awkward text."""
    for name in ("sender", "source", "wording", "processing", "object"):
        if name in data and isinstance(data[name], str):
            # Identifiers and labels cannot be empty, nor longer than 200 characters, nor
            # hold an email address or a phone number (the chain would keep it for ever).
            text = ("x" + draw(AWKWARD))[:200]
            data[name] = text if personal_address_in(text) is None else "x"
    return data


@st.composite
def events(draw: st.DrawFn) -> tuple[str, Any, tuple[str | None, ...], str | None]:
    data = _texts(draw(strategies.event(datetime(2024, 6, 1, tzinfo=PARIS))), draw)
    event = load_events([data])[0]
    proof = tuple(draw(st.one_of(st.none(), AWKWARD)) for _ in range(3))
    at_text = draw(st.one_of(st.none(), st.just(event.at.isoformat()), AWKWARD))
    return "p" + draw(AWKWARD), event, proof, at_text


@settings(max_examples=400)
@given(events())
def test_fact_row_is_the_facts_their_shape_and_their_encoding(
    drawn: tuple[str, Any, tuple[str | None, ...], str | None],
) -> None:
    person_id, event, proof, at_text = drawn
    facts = event_facts(person_id, event, proof, at_text)
    values, filled, encoded = fact_row(person_id, event, proof, at_text)
    assert values == [fact for fact in facts if fact is not None]
    assert filled == bytes(fact is not None for fact in facts)
    assert encoded == ENCODE(facts)


# A row as the journal writes it: text in the text columns, integers in the others
# (booleans as 0/1), NULL where an event has no such fact; the columns the schema
# declares NOT NULL always hold a value.
_REQUIRED = {"person_id", "at_us", "at_text", "type", "content_hash", "recorded_at_us"}


def _column(column: str) -> st.SearchStrategy[Any]:
    value = (
        st.integers(0, 1)
        if column in BOOLEAN_COLUMNS
        else BIG
        if column.endswith("_us")
        else AWKWARD
    )
    return value if column in _REQUIRED else st.one_of(st.none(), value)


ROWS = st.tuples(*(_column(column) for column in CHAINED_COLUMNS)).map(list)
_INSERT = (
    f"INSERT INTO events (seq, prev_hash, hash, {', '.join(CHAINED_COLUMNS)})"
    f" VALUES (1, '', '', {', '.join('?' * len(CHAINED_COLUMNS))})"
)


@pytest.fixture(scope="module")
def sqlite_events(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(tmp_path_factory.mktemp("enc") / "e.db", isolation_level=None)
    connection.execute(_events_table("events", "").format(seq="INTEGER"))
    yield connection
    connection.close()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ROWS)
def test_sqlite_json_array_is_the_canonical_encoding(
    sqlite_events: sqlite3.Connection, row: list[Any]
) -> None:
    sqlite_events.execute("DELETE FROM events")
    sqlite_events.execute(_INSERT, row)
    stored = sqlite_events.execute(
        f"SELECT {', '.join(CHAINED_COLUMNS)}, {EVENTS.encoding_sql('sqlite')} FROM events"
    ).fetchone()
    assert list(stored[:-1]) == row
    assert stored[-1] == ENCODE(row)


@pytest.fixture(scope="module")
def postgres_events() -> Iterator[psycopg.Connection[Any]]:
    with postgres_schema() as url, psycopg.connect(url, autocommit=True) as connection:
        connection.execute(_events_table("events", "").format(seq="BIGINT"))
        yield connection


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ROWS)
def test_postgres_to_json_is_the_canonical_encoding(
    postgres_events: psycopg.Connection[Any], row: list[Any]
) -> None:
    # PostgreSQL's BOOLEAN columns take what the journal binds for them, Python booleans.
    bound = [
        bool(value) if column in BOOLEAN_COLUMNS and value is not None else value
        for column, value in zip(CHAINED_COLUMNS, row, strict=True)
    ]
    postgres_events.execute("DELETE FROM events")
    postgres_events.execute(_INSERT.replace("?", "%s"), bound)
    encoded = postgres_events.execute(
        f"SELECT {EVENTS.encoding_sql('postgresql')} FROM events"
    ).fetchone()
    assert encoded is not None
    assert encoded[0] == ENCODE(row)
