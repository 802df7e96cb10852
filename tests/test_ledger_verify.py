"""`verify` catches a changed, removed, inserted or reordered record, edited behind
the ledger's back in the SQLite file or the PostgreSQL tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from licite.errors import StoreUnavailable
from licite.ledger import Tampered, import_file, sweep, verify
from licite.ledger.chain import EVENTS as EVENTS_CHAIN
from licite.ledger.checkpoints import check_against, checkpoint_now, export_checkpoints
from licite.ledger.sweep import Job
from tests.test_ledger_support import (
    BACKENDS,
    environ,
    event_line,
    open_ledger,
    person_line,
    raw,
    run,
    store_url,
    write_lines,
)

EVENTS = 8


@pytest.fixture(autouse=True, params=["whole", "chunks", "one worker"])
def sweeping(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check runs with the chain in one chunk, in chunks of 3 records shared by two
    workers, and in chunks of 3 read by one worker: a fault is named the same way in each."""
    if request.param != "whole":
        monkeypatch.setattr(sweep, "CHUNK", 3)
    if request.param == "one worker":
        monkeypatch.setattr(sweep, "WORKERS", 1)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        with open_ledger(located, tmp_path, checkpoint_every=0) as ledger:
            lines = [person_line("p1"), person_line("p2", email="b@example.fr")]
            lines += [
                event_line(f"p{1 + i % 2}", f"2024-06-{1 + i:02d}", "interaction", kind="click")
                for i in range(EVENTS)
            ]
            lines.append(
                event_line(
                    "p1", "2024-07-01", "consent", proof={"wording_text": "Oui.", "form": "f"}
                )
            )
            import_file(ledger, write_lines(tmp_path / "in.jsonl", lines), batch_lines=4)
        yield located


def fault(url: str, tmp_path: Path) -> str:
    with open_ledger(url, tmp_path) as ledger, pytest.raises(Tampered) as caught:
        verify(ledger)
    return caught.value.text.en


def test_intact_ledger_verifies(url: str, tmp_path: Path) -> None:
    with open_ledger(url, tmp_path) as ledger:
        found = verify(ledger)
    assert (found.events, found.persons, found.wordings) == (EVENTS + 1, 2, 1)
    result = run(["ledger", "verify"], environ(url, tmp_path))
    assert result.exit_code == 0, result.output


def test_changed_event(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE events SET kind = 'open' WHERE seq = 3")
    assert fault(url, tmp_path).startswith("event seq 3 (events.seq = 3) was changed")
    result = run(["--lang", "en", "ledger", "verify"], environ(url, tmp_path))
    assert result.exit_code == 4
    assert "event seq 3" in result.output


def test_changed_timestamp_or_ciphertext(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE persons SET email_sealed = 'AAAA' WHERE id = 'p2'")
    assert "person record seq 2" in fault(url, tmp_path)


def test_removed_event(url: str, tmp_path: Path) -> None:
    raw(url, "DELETE FROM events WHERE seq = 4")
    assert fault(url, tmp_path).startswith("event seq 4 (events.seq = 4) was removed")


def test_removed_last_event(url: str, tmp_path: Path) -> None:
    raw(url, f"DELETE FROM events WHERE seq = {EVENTS + 1}")
    assert f"event seq {EVENTS + 1} was removed" in fault(url, tmp_path)


def test_removed_and_renumbered(url: str, tmp_path: Path) -> None:
    raw(
        url,
        "DELETE FROM events WHERE seq = 4",
        "UPDATE events SET seq = -seq WHERE seq > 4",
        "UPDATE events SET seq = -seq - 1 WHERE seq < 0",
    )
    assert fault(url, tmp_path).startswith("event seq 4 (events.seq = 4) was preceded by a removed")


def test_inserted_after_the_head(url: str, tmp_path: Path) -> None:
    columns = "person_id, at_us, at_text, type, kind, content_hash, recorded_at_us, prev_hash, hash"
    last = raw(url, f"SELECT hash FROM events WHERE seq = {EVENTS + 1}")[0][0]
    raw(
        url,
        f"INSERT INTO events (seq, {columns}) VALUES ({EVENTS + 2}, 'p1', 0,"
        f" '1970-01-01T00:00:00+00:00', 'interaction', 'click', 'x', 0, '{last}', 'y')",
    )
    assert f"event seq {EVENTS + 2}" in fault(url, tmp_path)
    assert "inserted" in fault(url, tmp_path)


def test_inserted_in_the_middle(url: str, tmp_path: Path) -> None:
    # Copy event 5 into a new record at seq 3, shifting the others up.
    raw(
        url,
        "UPDATE events SET seq = -seq WHERE seq >= 3",
        "UPDATE events SET seq = -seq + 1 WHERE seq < 0",
        "INSERT INTO events SELECT 3, person_id, at_us, at_text, type, sender, channel, purpose,"
        " method, mechanism, processing, kind, outcome, via, object, products, source, wording,"
        " informed, informed_at_us, informed_at_text, terms_forbid_reuse, opt_out_offered,"
        " partner_consent, partners_named, consent_proof, outside_hours, proof_form,"
        " proof_wording, proof_recorded_by, proof_evidence, 'forged', recorded_at_us, prev_hash,"
        " hash, tie FROM events WHERE seq = 6",
    )
    message = fault(url, tmp_path)
    assert message.startswith("event seq 3 (events.seq = 3) was inserted"), message


def test_reordered_events(url: str, tmp_path: Path) -> None:
    raw(
        url,
        "UPDATE events SET seq = -1 WHERE seq = 5",
        "UPDATE events SET seq = 5 WHERE seq = 6",
        "UPDATE events SET seq = 6 WHERE seq = -1",
    )
    message = fault(url, tmp_path)
    assert message.startswith("event seq 5 (events.seq = 5) was reordered"), message


def test_changed_wording(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE wordings SET text = 'Non.'")
    assert "wording" in fault(url, tmp_path)


def test_forged_head(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE heads SET event_seq = event_seq - 1")
    assert "signature" in fault(url, tmp_path)


def test_rewritten_chain_is_caught_by_held_checkpoints(url: str, tmp_path: Path) -> None:
    with open_ledger(url, tmp_path) as ledger:
        checkpoint_now(ledger)
        held = json.loads(json.dumps(export_checkpoints(ledger)))
        assert check_against(ledger, held) == 1
    # Someone with the database (but not the held file) rebuilds the ledger from scratch.
    for table in ("events", "persons", "person_keys", "heads", "checkpoints", "wordings", "meta"):
        raw(url, f"DELETE FROM {table}")
    raw(url, "DROP TABLE schema_version", "DROP TABLE meta", "DROP TABLE persons")
    for table in ("person_keys", "events", "wordings", "heads", "checkpoints"):
        raw(url, f"DROP TABLE {table}")
    for table in ("suppression_imports", "suppression_entries", "suppressions", "epochs"):
        raw(url, f"DROP TABLE {table}")
    for table in ("api_keys", "campaigns", "idempotency"):  # the service's (schema v7)
        raw(url, f"DROP TABLE {table}")
    raw(url, "DROP TABLE sms_inbound")  # STOP by SMS (schema v8)
    raw(url, "DROP TABLE gateway_log")  # the mail gateway (schema v9)
    raw(url, "DROP TABLE retention_runs", "DROP TABLE retention_erasures")  # schema v10
    raw(url, "DROP TABLE verifications")  # what verify found (schema v11)
    with open_ledger(url, tmp_path) as rebuilt:
        import_file(rebuilt, write_lines(tmp_path / "fake.jsonl", [person_line("p1")]))
        verify(rebuilt)  # internally consistent, and signed with the same key…
        with pytest.raises(Tampered) as caught:
            check_against(rebuilt, held)  # …but not what the third party holds
    assert "held checkpoint" in caught.value.text.en


def test_a_record_changed_in_any_chunk_is_named(url: str, tmp_path: Path) -> None:
    for seq in (1, 3, 4, EVENTS + 1):
        raw(url, f"UPDATE events SET at_text = at_text || ' ' WHERE seq = {seq}")
        assert fault(url, tmp_path).startswith(
            f"event seq {seq} (events.seq = {seq}) was changed"
        ), seq
        raw(url, f"UPDATE events SET at_text = rtrim(at_text) WHERE seq = {seq}")
    with open_ledger(url, tmp_path) as ledger:
        assert verify(ledger).events == EVENTS + 1


def test_a_hash_split_across_two_records_is_caught(url: str, tmp_path: Path) -> None:
    # Moving a character from one stored hash to the next keeps their concatenation.
    raw(
        url,
        "UPDATE events SET hash = hash || substr((SELECT hash FROM events WHERE seq = 3), 1, 1)"
        " WHERE seq = 2",
        "UPDATE events SET hash = substr(hash, 2) WHERE seq = 3",
    )
    assert fault(url, tmp_path).startswith("event seq 2 (events.seq = 2) was changed")


def test_an_intact_chain_is_proven_by_the_sweep_alone(url: str, tmp_path: Path) -> None:
    # Record by record, the walk would find it intact too; the sweep must not leave it to.
    with open_ledger(url, tmp_path) as ledger:
        hashes = dict(raw(url, "SELECT seq, hash FROM events"))
        jobs = [Job(EVENTS_CHAIN, EVENTS + 1, frozenset({2, EVENTS + 1}))]
        (swept,) = sweep.sweep(ledger.store, jobs)
    assert swept.next_seq == EVENTS + 2
    assert swept.last_hash == hashes[EVENTS + 1]
    assert swept.hashes_at == {2: hashes[2], EVENTS + 1: hashes[EVENTS + 1]}


@contextmanager
def small_sqlite_ledger(tmp_path: Path, events: int) -> Iterator[str]:
    """A SQLite ledger of one person with `events` opposition-list events."""
    with store_url("sqlite", tmp_path) as url:
        with open_ledger(url, tmp_path) as ledger:
            days = (f"2024-06-0{d}" for d in range(1, events + 1))
            lines = [person_line("p1"), *(event_line("p1", day, "bloctel") for day in days)]
            import_file(ledger, write_lines(tmp_path / "in.jsonl", lines))
        yield url


def test_a_hash_stored_as_a_blob_is_caught(tmp_path: Path) -> None:
    with small_sqlite_ledger(tmp_path, 3) as url:
        # The same characters, as bytes: what was chained was text.
        raw(url, "UPDATE events SET prev_hash = CAST(prev_hash AS BLOB) WHERE seq = 2")
        assert "event seq 2" in fault(url, tmp_path)


@pytest.mark.parametrize("chunk", [1, 2])
def test_a_separator_slipped_into_a_prev_hash_is_caught(
    url: str, tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep, "CHUNK", chunk)
    raw(url, "UPDATE events SET prev_hash = prev_hash || ',' WHERE seq = 3")
    assert fault(url, tmp_path).startswith("event seq 3 (events.seq = 3) was")


def test_a_prev_hash_that_is_not_utf8_is_caught(tmp_path: Path) -> None:
    with small_sqlite_ledger(tmp_path, 1) as url:
        raw(url, "UPDATE events SET prev_hash = CAST(x'ff' AS TEXT) WHERE seq = 1")
        # The record-by-record walk cannot even read it back as text, and says so.
        with open_ledger(url, tmp_path) as ledger, pytest.raises(StoreUnavailable) as caught:
            verify(ledger)
        assert "prev_hash" in caught.value.text.en


def test_a_column_hiding_the_rowid_is_not_trusted(tmp_path: Path) -> None:
    # The count proves the seqs only when `_rowid_` is the rowid: a column of that name
    # (which could hold anything) sends the sweep back to reading the seqs themselves.
    with small_sqlite_ledger(tmp_path, 2) as url:
        with open_ledger(url, tmp_path) as ledger:
            assert "_rowid_ BETWEEN" in sweep._sql(ledger.store, EVENTS_CHAIN)
        raw(url, "ALTER TABLE events ADD COLUMN _rowid_ INTEGER")
        with open_ledger(url, tmp_path) as ledger:
            assert "group_concat(seq" in sweep._sql(ledger.store, EVENTS_CHAIN)
            assert verify(ledger).events == 2
        raw(
            url,
            "UPDATE events SET _rowid_ = seq",  # the column, looking like the rowid
            "UPDATE events SET seq = -seq",
            "UPDATE events SET seq = 3 + seq WHERE seq < 0",  # 1 and 2 swapped
        )
        assert fault(url, tmp_path).startswith("event seq 1 (events.seq = 1) was")


@pytest.mark.parametrize(
    "tampering",
    [
        "UPDATE events SET tie = 0",  # two events at one instant ranked alike
        "UPDATE events SET tie = 1 - tie WHERE kind <> 'open'",  # the first two swapped
        "UPDATE events SET tie = -1 WHERE kind = 'open'",
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rank_at_one_instant_out_of_appending_order_is_caught(
    backend: str, tampering: str, tmp_path: Path
) -> None:
    with store_url(backend, tmp_path) as url:
        with open_ledger(url, tmp_path) as ledger:
            lines = [person_line("p1")]
            lines += [
                event_line("p1", "2024-06-01T10:00:00+02:00", "interaction", kind=kind)
                for kind in ("click", "reply", "open")
            ]
            import_file(ledger, write_lines(tmp_path / "in.jsonl", lines))
            verify(ledger)
        raw(url, tampering)
        message = fault(url, tmp_path)
        assert "(events.tie)" in message, message
