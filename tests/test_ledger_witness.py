"""Issue 13, findings 2 and 3: an external witness catches what the store alone cannot.

A whole store replaced by an older copy, or a history rewritten and signed again
with the signing key, verifies on its own; `verify --witness` names what the
witness saw that the ledger no longer holds. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.ledger import Tampered, import_file, verify
from licite.ledger.chain import EVENTS, link
from licite.ledger.checkpoints import checkpoint_now
from licite.ledger.crypto import sign
from licite.ledger.journal import Head
from licite.ledger.state import current_state
from licite.ledger.witness import FORMAT, read_witness, witness
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

EVERY = 3
TABLES = (
    "meta",
    "persons",
    "person_keys",
    "events",
    "wordings",
    "heads",
    "checkpoints",
    "suppression_imports",
    "suppression_entries",
    "suppressions",
)


def _clicks(start: int, count: int) -> list[dict[str, object]]:
    return [
        event_line("p1", f"2024-06-{start + i:02d}", "interaction", kind="click")
        for i in range(count)
    ]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        with open_ledger(located, tmp_path, checkpoint_every=EVERY) as ledger:
            lines = [person_line("p1"), *_clicks(1, 6)]
            import_file(ledger, write_lines(tmp_path / "in.jsonl", lines), batch_lines=1)
        yield located


def witnessed(url: str, tmp_path: Path, log: Path) -> str:
    result = run(["--lang", "en", "ledger", "witness", "--to", str(log)], environ(url, tmp_path))
    assert result.exit_code == 0, result.output
    return result.output


def verify_witness(url: str, tmp_path: Path, log: Path) -> tuple[int, str]:
    result = run(
        ["--lang", "en", "ledger", "verify", "--witness", str(log)], environ(url, tmp_path)
    )
    return result.exit_code, result.output


def _save(url: str, tmp_path: Path) -> None:
    """An old copy of the whole store (the file; for PostgreSQL, every table's rows)."""
    if url.startswith("sqlite:///"):
        shutil.copy(tmp_path / "ledger.db", tmp_path / "old.db")
        return
    for table in TABLES:
        raw(url, f"CREATE TABLE old_{table} AS SELECT * FROM {table}")


def _restore(url: str, tmp_path: Path) -> None:
    if url.startswith("sqlite:///"):
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"ledger.db{suffix}").unlink(missing_ok=True)
        shutil.copy(tmp_path / "old.db", tmp_path / "ledger.db")
        return
    for table in TABLES:
        raw(url, f"DELETE FROM {table}", f"INSERT INTO {table} SELECT * FROM old_{table}")


def test_witness_appends_checkpoints_and_the_head_and_never_rewrites(
    url: str, tmp_path: Path
) -> None:
    log = tmp_path / "witness" / "ledger.witness"
    log.parent.mkdir()
    assert "2 checkpoint(s) and the signed head witnessed" in witnessed(url, tmp_path, log)
    first = log.read_bytes()
    lines = [json.loads(line) for line in first.splitlines()]
    assert lines[0]["format"] == FORMAT
    assert [line["kind"] for line in lines[1:]] == ["checkpoint", "checkpoint", "head"]
    assert [line["number"] for line in lines[1:3]] == [1, 2]
    # Nothing new: nothing appended.
    assert "0 checkpoint(s) witnessed" in witnessed(url, tmp_path, log)
    assert log.read_bytes() == first
    with open_ledger(url, tmp_path, checkpoint_every=EVERY) as ledger:
        import_file(ledger, write_lines(tmp_path / "more.jsonl", _clicks(10, 3)))
    assert "1 checkpoint(s) and the signed head" in witnessed(url, tmp_path, log)
    after = log.read_bytes()
    assert after.startswith(first) and len(after.splitlines()) == len(lines) + 2
    code, output = verify_witness(url, tmp_path, log)
    assert code == 0, output
    assert "3 checkpoint(s) and its last head" in output


def test_an_older_copy_of_the_store_verifies_alone_but_not_against_its_witness(
    url: str, tmp_path: Path
) -> None:
    log = tmp_path / "ledger.witness"
    _save(url, tmp_path)
    with open_ledger(url, tmp_path, checkpoint_every=EVERY) as ledger:
        import_file(ledger, write_lines(tmp_path / "more.jsonl", _clicks(10, 4)), batch_lines=1)
    witnessed(url, tmp_path, log)
    _restore(url, tmp_path)
    with open_ledger(url, tmp_path) as ledger:
        assert verify(ledger).events == 6  # the documented limit of a store checked alone
    code, output = verify_witness(url, tmp_path, log)
    assert code == 4
    assert "the ledger is behind its witness" in output
    assert "its head counts 6 event(s)" in output and "the witness saw 10" in output
    # Nor is the rolled-back ledger witnessed.
    result = run(["--lang", "en", "ledger", "witness", "--to", str(log)], environ(url, tmp_path))
    assert result.exit_code == 4 and "behind its witness" in result.output


def test_a_cut_with_the_head_put_back_is_named_by_the_witness(url: str, tmp_path: Path) -> None:
    log = tmp_path / "ledger.witness"
    witnessed(url, tmp_path, log)
    old_head = raw(url, "SELECT * FROM heads")
    with open_ledger(url, tmp_path, checkpoint_every=EVERY) as ledger:
        import_file(ledger, write_lines(tmp_path / "more.jsonl", _clicks(10, 3)))
    witnessed(url, tmp_path, log)
    # Everything after the first witnessing goes, its genuine head comes back.
    raw(url, "DELETE FROM events WHERE seq > 6", "DELETE FROM checkpoints WHERE id > 2")
    raw(url, "DELETE FROM heads")
    values = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in old_head[0])
    raw(url, f"INSERT INTO heads VALUES ({values})")
    with open_ledger(url, tmp_path) as ledger:
        verify(ledger)
    code, output = verify_witness(url, tmp_path, log)
    assert code == 4 and "behind its witness" in output, output


@pytest.mark.parametrize("padded", [False, True])
def test_a_history_rewritten_and_signed_again_with_the_key_is_caught_by_the_witness(
    url: str, tmp_path: Path, padded: bool
) -> None:
    """Finding 3: whoever has the database and the signing key deletes a withdrawal,
    links the chain again and signs it all again (and, padded, appends an event so that
    the ledger is as long as the witness saw). Plain verify passes (the documented
    limit); the witness, which saw a later checkpoint, does not."""
    log = tmp_path / "ledger.witness"
    withdrawal = event_line("p1", "2024-07-01", "withdrawal", channel="email", sender="acme")
    with open_ledger(url, tmp_path, checkpoint_every=EVERY) as ledger:
        lines = [withdrawal, *_clicks(10, 3)]
        import_file(ledger, write_lines(tmp_path / "more.jsonl", lines), batch_lines=1)
    witnessed(url, tmp_path, log)
    seq = raw(url, "SELECT seq FROM events WHERE type = 'withdrawal'")[0][0]
    _rewrite_without(url, tmp_path, seq)
    assert raw(url, "SELECT count(*) FROM events WHERE type = 'withdrawal'") == [(0,)]
    if padded:
        with open_ledger(url, tmp_path, checkpoint_every=EVERY) as ledger:
            import_file(ledger, write_lines(tmp_path / "pad.jsonl", _clicks(20, 1)))
    result = run(["--lang", "en", "ledger", "verify"], environ(url, tmp_path))
    assert result.exit_code == 0, result.output
    code, output = verify_witness(url, tmp_path, log)
    assert code == 4
    if padded:
        assert "diverges from its witness" in output and "history was rewritten" in output
        assert "checkpoint 3" in output, output
    else:
        assert "behind its witness" in output, output


def _rewrite_without(url: str, tmp_path: Path, removed: int) -> None:
    """The attack, with licite's own code and the key: event `removed` deleted, the later
    ones renumbered and linked again, every checkpoint and the head signed again."""
    raw(
        url,
        f"DELETE FROM events WHERE seq = {removed}",
        f"UPDATE events SET seq = -seq WHERE seq > {removed}",
        "UPDATE events SET seq = -seq - 1 WHERE seq < 0",
    )
    with open_ledger(url, tmp_path) as ledger, ledger.store.write() as tx:
        prev = tx.execute("SELECT hash FROM events WHERE seq = ?", (removed - 1,))[0][0]
        dialect = ledger.store.dialect
        for seq, _, _, encoded in tx.execute(EVENTS.scan_sql(dialect, f"WHERE seq >= {removed}")):
            new = link(prev, encoded)
            tx.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, new, seq))
            prev = new
        hashes = dict(tx.execute("SELECT seq, hash FROM events"))
        signer = ledger.signer
        for number, event_seq in tx.execute("SELECT id, event_seq FROM checkpoints"):
            moved = event_seq - 1 if event_seq >= removed else event_seq
            tx.execute(
                "UPDATE checkpoints SET event_seq = ?, event_hash = ? WHERE id = ?",
                (moved, hashes[moved], number),
            )
            row = tx.execute(
                "SELECT event_seq, event_hash, person_seq, person_hash, signed_at_us"
                " FROM checkpoints WHERE id = ?",
                (number,),
            )[0]
            signature = sign(signer, Head.from_row(row).checkpoint_message(number))
            tx.execute("UPDATE checkpoints SET signature = ? WHERE id = ?", (signature, number))
        last = max(hashes)
        tx.execute("UPDATE heads SET event_seq = ?, event_hash = ?", (last, hashes[last]))
        row = tx.execute(
            "SELECT event_seq, event_hash, person_seq, person_hash, signed_at_us FROM heads"
        )[0]
        state = current_state(tx.execute, dialect).line()
        signature = sign(signer, Head.from_row(row).head_message(state))
        tx.execute("UPDATE heads SET state = ?, signature = ?", (state, signature))


def test_a_file_that_is_not_a_witness_log_is_refused_untouched(url: str, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("my notes\n")
    result = run(["--lang", "en", "ledger", "witness", "--to", str(other)], environ(url, tmp_path))
    assert result.exit_code == 2
    assert "is not a licite witness log" in result.output
    assert other.read_text() == "my notes\n"
    code, output = verify_witness(url, tmp_path, other)
    assert code == 2 and "is not a licite witness log" in output


def test_a_witness_log_of_another_ledger_is_refused(url: str, tmp_path: Path) -> None:
    log = tmp_path / "ledger.witness"
    witnessed(url, tmp_path, log)
    before = log.read_bytes()
    other = tmp_path / "other"
    other.mkdir()
    other_url = f"sqlite:///{other / 'ledger.db'}"
    with open_ledger(other_url, other) as ledger:
        import_file(ledger, write_lines(other / "in.jsonl", [person_line("p1")]))
    result = run(["--lang", "en", "ledger", "witness", "--to", str(log)], environ(other_url, other))
    assert result.exit_code == 4 and "witnesses another ledger" in result.output
    assert log.read_bytes() == before


def test_a_forged_witness_line_is_named(url: str, tmp_path: Path) -> None:
    log = tmp_path / "ledger.witness"
    witnessed(url, tmp_path, log)
    lines = log.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["event_seq"] = 1
    log.write_text("\n".join([lines[0], json.dumps(forged), *lines[2:]]) + "\n")
    code, output = verify_witness(url, tmp_path, log)
    assert code == 4 and "line 2: the witnessed signature does not hold" in output


def test_an_append_cut_short_is_ignored_and_the_next_starts_a_line(
    url: str, tmp_path: Path
) -> None:
    log = tmp_path / "ledger.witness"
    witnessed(url, tmp_path, log)
    with log.open("a") as handle:
        handle.write('{"kind": "checkpoint", "numb')  # a crash mid-append
    with open_ledger(url, tmp_path, checkpoint_every=EVERY) as ledger:
        checkpoint_now(ledger)
    witnessed(url, tmp_path, log)
    lines = log.read_text().splitlines()
    assert lines[-4] == '{"kind": "checkpoint", "numb'
    assert json.loads(lines[-3]) == {"kind": "cut_short", "line": len(lines) - 3}
    assert json.loads(lines[-2])["number"] == 3 and json.loads(lines[-1])["kind"] == "head"
    assert len(read_witness(log).checkpoints) == 3
    assert verify_witness(url, tmp_path, log)[0] == 0


def test_witness_in_the_library(url: str, tmp_path: Path) -> None:
    log = tmp_path / "ledger.witness"
    with open_ledger(url, tmp_path) as ledger:
        appended = witness(ledger, log)
        assert (appended.checkpoints, appended.head) == (2, True)
        found = verify(ledger, read_witness(log))
    assert found.witnessed is not None and found.witnessed.checkpoints == 2


def test_verify_with_a_witness_needs_the_log(url: str, tmp_path: Path) -> None:
    code, output = verify_witness(url, tmp_path, tmp_path / "absent.witness")
    assert code == 2 and "absent.witness" in output
    assert not (tmp_path / "absent.witness").exists()


def test_a_tampered_ledger_is_not_witnessed(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE checkpoints SET event_hash = 'forged' WHERE id = 2")
    log = tmp_path / "ledger.witness"
    result = run(["--lang", "en", "ledger", "witness", "--to", str(log)], environ(url, tmp_path))
    assert result.exit_code == 4 and "checkpoint 2" in result.output
    assert len(log.read_text().splitlines()) == 1  # the header only: nothing witnessed
    with pytest.raises(Tampered), open_ledger(url, tmp_path) as ledger:
        verify(ledger)


def test_witnesses_run_at_once_append_one_after_the_other(url: str, tmp_path: Path) -> None:
    log = tmp_path / "ledger.witness"
    licite = Path(sys.executable).parent / "licite"
    env = {**os.environ, **environ(url, tmp_path)}
    command = [str(licite), "ledger", "witness", "--to", str(log)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(4)]
    assert [process.wait(timeout=120) for process in runs] == [0, 0, 0, 0]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line.get("format") for line in lines].count(FORMAT) == 1
    numbers = [line["number"] for line in lines if line.get("kind") == "checkpoint"]
    assert numbers == [1, 2]
    assert [line["kind"] for line in lines[1:]].count("head") == 1


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(copied_after=st.integers(0, 3), later=st.integers(1, 3), checkpoint=st.booleans())
def test_any_older_copy_is_caught_once_something_later_was_witnessed(
    tmp_path_factory: pytest.TempPathFactory, copied_after: int, later: int, checkpoint: bool
) -> None:
    """Whenever the copy was taken, and however many commits followed it, restoring
    the copy fails `verify --witness` as soon as one of those commits was witnessed."""
    directory = tmp_path_factory.mktemp("copy")
    url = f"sqlite:///{directory / 'ledger.db'}"
    log = directory / "ledger.witness"
    with open_ledger(url, directory, checkpoint_every=EVERY) as ledger:
        lines = [person_line("p1"), *_clicks(1, copied_after)]
        import_file(ledger, write_lines(directory / "a.jsonl", lines), batch_lines=1)
    witnessed(url, directory, log)
    _save(url, directory)
    with open_ledger(url, directory, checkpoint_every=EVERY) as ledger:
        import_file(ledger, write_lines(directory / "b.jsonl", _clicks(10, later)), batch_lines=1)
        if checkpoint:
            checkpoint_now(ledger)
    witnessed(url, directory, log)
    _restore(url, directory)
    code, output = verify_witness(url, directory, log)
    assert code == 4 and "behind its witness" in output, output
