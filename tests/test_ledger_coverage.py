"""Issue 13, finding 2: what `verify` covers besides the chains, each change named.

`meta` (the key fingerprints), `person_keys`, the erasure marks, the suppression
records kept after an erasure and the opposition lists are changed behind the
ledger's back, on SQLite and PostgreSQL; `verify` must not say "intact".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.ledger import KeyProblem, Tampered, import_file, verify
from licite.ledger.erasure import erase
from licite.ledger.state import State
from licite.ledger.suppression import import_list
from licite.moments import parse_moment
from tests.test_ledger_support import (
    BACKENDS,
    event_line,
    open_ledger,
    person_line,
    raw,
    store_url,
    write_lines,
)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        with open_ledger(located, tmp_path) as ledger:
            lines = [
                person_line("p1"),
                person_line("p2", email="b@example.fr", phone="07 11 22 33 44"),
                person_line("p3", email="c@example.fr", phone=None),
                event_line("p1", "2024-06-01", "interaction", kind="click"),
            ]
            import_file(ledger, write_lines(tmp_path / "in.jsonl", lines))
            erase(ledger, "p2")
            import_list(ledger, "bloctel", ["06 00 00 00 01", "06 00 00 00 02"], _at())
        yield located


def _at() -> datetime:
    return parse_moment("2025-01-01")


def fault(url: str, tmp_path: Path) -> str:
    with open_ledger(url, tmp_path) as ledger, pytest.raises(Tampered) as caught:
        verify(ledger)
    return caught.value.text.en


def test_the_untouched_ledger_verifies(url: str, tmp_path: Path) -> None:
    with open_ledger(url, tmp_path) as ledger:
        assert verify(ledger).persons == 3


def test_a_deleted_key_fingerprint_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "DELETE FROM meta WHERE name = 'hmac_key_id'")
    assert fault(url, tmp_path).startswith("the meta table (key fingerprints) changed")


def test_an_added_meta_row_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "INSERT INTO meta VALUES ('note', 'x')")
    assert fault(url, tmp_path).startswith("the meta table (key fingerprints) changed")


def test_a_changed_key_fingerprint_is_a_key_problem(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE meta SET value = 'x' WHERE name = 'hmac_key_id'")
    with pytest.raises(KeyProblem) as caught:
        open_ledger(url, tmp_path)
    assert "LICITE_HMAC_KEY" in caught.value.text.en


def test_a_deleted_person_key_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "DELETE FROM person_keys WHERE person_id = 'p3'")
    message = fault(url, tmp_path)
    assert message.startswith("person record seq 3 (persons.seq = 3): its key (person_keys)")


def test_a_key_restored_for_an_erased_person_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "INSERT INTO person_keys (person_id, wrapped) VALUES ('p2', 'restored from a backup')")
    assert "marked erased, it has a key again" in fault(url, tmp_path)


def test_a_key_of_nobody_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "INSERT INTO person_keys (person_id, wrapped) VALUES ('ghost', 'x')")
    assert "1 key(s) (person_keys) belong to no recorded person" in fault(url, tmp_path)


def test_an_undone_erasure_is_named(url: str, tmp_path: Path) -> None:
    """The whole undoing: the mark cleared, the key back, the suppression records gone."""
    raw(
        url,
        "UPDATE persons SET erased_at_us = NULL WHERE id = 'p2'",
        "INSERT INTO person_keys (person_id, wrapped) VALUES ('p2', 'restored from a backup')",
        "DELETE FROM suppressions WHERE person_id = 'p2'",
    )
    message = fault(url, tmp_path)
    assert message.startswith("the erasure marks (persons.erased_at_us) changed"), message
    assert "signed 1," in message and "found 0,0" in message


def test_a_cleared_erasure_mark_alone_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE persons SET erased_at_us = NULL WHERE id = 'p2'")
    assert fault(url, tmp_path).startswith("the erasure marks (persons.erased_at_us) changed")


def test_a_deleted_suppression_record_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "DELETE FROM suppressions WHERE kind = 'phone'")
    assert fault(url, tmp_path).startswith("the hashes kept after erasures (suppressions) changed")


def test_a_suppression_record_swapped_for_another_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE suppressions SET hash = 'other' WHERE kind = 'phone'")
    message = fault(url, tmp_path)
    assert message.startswith("person record seq 2 (persons.seq = 2): erased, its kept hash")


def test_a_deleted_opposition_list_entry_is_named(url: str, tmp_path: Path) -> None:
    raw(
        url,
        "DELETE FROM suppression_entries WHERE phone_hash ="
        " (SELECT min(phone_hash) FROM suppression_entries)",
    )
    assert fault(url, tmp_path).startswith("opposition list reception 1")


def test_a_deleted_opposition_list_reception_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "DELETE FROM suppression_entries", "DELETE FROM suppression_imports")
    assert fault(url, tmp_path).startswith("the opposition list receptions")


def test_a_state_line_is_read_back_as_written() -> None:
    state = State((("meta", "ab"), ("erased", "1,2")))
    assert State.parse(state.line()) == state
    assert state.differs(state) is None
    changed = State((("meta", "ab"), ("erased", "0,0")))
    assert changed.differs(state) is not None


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(["persons", "person_keys", "suppressions", "suppression_entries"]),
    pick=st.integers(0, 10),
)
def test_any_deleted_row_of_an_uncovered_table_is_caught(
    url: str, tmp_path: Path, table: str, pick: int
) -> None:
    """Whatever single row of these tables goes, verify does not say intact (a person
    record is chained, the others are covered here)."""
    key = {
        "persons": "id",
        "person_keys": "person_id",
        "suppressions": "hash",
        "suppression_entries": "phone_hash",
    }[table]
    rows = raw(url, f"SELECT {key} FROM {table} ORDER BY {key}")
    value = rows[pick % len(rows)][0]
    saved = raw(url, f"SELECT * FROM {table} WHERE {key} = '{value}'")
    raw(url, f"DELETE FROM {table} WHERE {key} = '{value}'")
    try:
        fault(url, tmp_path)
    finally:
        for row in saved:
            values = ", ".join("NULL" if v is None else f"'{v}'" for v in row)
            raw(url, f"INSERT INTO {table} VALUES ({values})")
