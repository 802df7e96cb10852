"""Issue 13, finding 2: a ledger cut back must not verify as "intact".

Each test performs the attack on a real SQLite file and a real PostgreSQL schema,
behind the ledger's back, then runs `verify` as a user would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from licite.errors import KeyProblem
from licite.ledger import Tampered, import_file, verify
from licite.ledger.checkpoints import checkpoint_now
from licite.ledger.journal import Head
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

EVENTS = 12
EVERY = 3
"""A checkpoint every 3 events: 4 checkpoints for 12 events, imported one by one."""
CHECKPOINT_COLUMNS = "event_seq, event_hash, person_seq, person_hash, signed_at_us"


def _lines(start: int, count: int) -> list[dict[str, object]]:
    return [
        event_line("p1", f"2024-06-{start + i:02d}", "interaction", kind="click")
        for i in range(count)
    ]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        with open_ledger(located, tmp_path, checkpoint_every=EVERY) as ledger:
            lines = [person_line("p1"), *_lines(1, EVENTS)]
            import_file(ledger, write_lines(tmp_path / "in.jsonl", lines), batch_lines=1)
        yield located


def fault(url: str, tmp_path: Path) -> str:
    with open_ledger(url, tmp_path) as ledger, pytest.raises(Tampered) as caught:
        verify(ledger)
    return caught.value.text.en


def _cut_back_to_checkpoint(url: str, number: int) -> None:
    """The attack of finding 2: delete the events and checkpoints after checkpoint
    `number`, then copy that checkpoint (values and signature) into `heads`."""
    seq = raw(url, f"SELECT event_seq FROM checkpoints WHERE id = {number}")[0][0]
    raw(
        url,
        f"DELETE FROM events WHERE seq > {seq}",
        f"DELETE FROM checkpoints WHERE id > {number}",
        f"UPDATE heads SET ({CHECKPOINT_COLUMNS}, signature) = (SELECT {CHECKPOINT_COLUMNS},"
        f" signature FROM checkpoints WHERE id = {number}) WHERE id = 1",
    )


def test_the_ledger_has_checkpoints_to_attack_with(url: str, tmp_path: Path) -> None:
    assert raw(url, "SELECT count(*) FROM checkpoints") == [(EVENTS // EVERY,)]
    with open_ledger(url, tmp_path) as ledger:
        assert verify(ledger).events == EVENTS


def test_a_checkpoint_copied_into_the_head_after_a_cut_does_not_verify(
    url: str, tmp_path: Path
) -> None:
    _cut_back_to_checkpoint(url, 2)
    assert raw(url, "SELECT count(*) FROM events") == [(2 * EVERY,)]
    assert "head's signature does not hold" in fault(url, tmp_path)
    result = run(["--lang", "en", "ledger", "verify"], environ(url, tmp_path))
    assert result.exit_code == 4, result.output
    assert "intact" not in result.output


def test_the_head_signature_does_not_pass_for_a_checkpoint(url: str, tmp_path: Path) -> None:
    # The last import's commit signed both the head and checkpoint 4 over the same values.
    assert raw(url, f"SELECT {CHECKPOINT_COLUMNS} FROM checkpoints WHERE id = 4") == raw(
        url, f"SELECT {CHECKPOINT_COLUMNS} FROM heads"
    )
    raw(url, "UPDATE checkpoints SET signature = (SELECT signature FROM heads) WHERE id = 4")
    assert "checkpoint 4's signature does not hold" in fault(url, tmp_path)


def test_a_checkpoint_signature_does_not_pass_for_the_head(url: str, tmp_path: Path) -> None:
    raw(url, "UPDATE heads SET signature = (SELECT signature FROM checkpoints WHERE id = 4)")
    assert "head's signature does not hold" in fault(url, tmp_path)


def test_a_head_from_an_old_backup_behind_a_checkpoint_is_named(url: str, tmp_path: Path) -> None:
    old_head = raw(url, f"SELECT {CHECKPOINT_COLUMNS}, state, signature FROM heads")[0]
    with open_ledger(url, tmp_path, checkpoint_every=EVERY) as ledger:
        import_file(ledger, write_lines(tmp_path / "more.jsonl", _lines(20, 3)))
        checkpoint_now(ledger)
    # The newer events go, the backup's head (genuinely signed) comes back; the newer
    # checkpoint stays.
    raw(
        url,
        f"DELETE FROM events WHERE seq > {EVENTS}",
        "UPDATE heads SET event_seq = {}, event_hash = '{}', person_seq = {}, person_hash = '{}',"
        " signed_at_us = {}, state = '{}', signature = '{}'".format(*old_head),
    )
    message = fault(url, tmp_path)
    assert "is older than checkpoint 5" in message and "rolled back" in message, message


def test_a_checkpoint_removed_from_the_middle_is_named(url: str, tmp_path: Path) -> None:
    raw(url, "DELETE FROM checkpoints WHERE id = 2")
    assert fault(url, tmp_path).startswith("checkpoint 2 is gone")


def test_a_checkpoint_renumbered_does_not_verify(url: str, tmp_path: Path) -> None:
    raw(url, "DELETE FROM checkpoints WHERE id = 2", "UPDATE checkpoints SET id = 2 WHERE id = 3")
    assert "checkpoint 2's signature does not hold" in fault(url, tmp_path)


def test_messages_of_heads_and_checkpoints_are_domain_separated() -> None:
    head = Head(3, "a" * 64, 1, "b" * 64, 1_700_000_000_000_000)
    messages = {head.head_message(""), head.checkpoint_message(1), head.legacy_message()}
    assert len(messages) == 3
    assert head.head_message("").startswith("licite/v1/head\0")
    assert head.checkpoint_message(1).startswith("licite/v1/checkpoint\0")


def test_plain_verify_says_what_it_cannot_see(url: str, tmp_path: Path) -> None:
    result = run(["--lang", "en", "ledger", "verify"], environ(url, tmp_path))
    assert result.exit_code == 0, result.output
    assert "ledger intact" in result.output
    assert "cannot see that the whole ledger was rolled back or replaced by an older copy" in (
        result.output
    )
    french = run(["--lang", "fr", "ledger", "verify"], environ(url, tmp_path))
    assert "copie plus ancienne" in french.output


def test_sqlite_replaced_by_an_older_copy_passes_plain_verify(tmp_path: Path) -> None:
    """The documented limit: no check of the store alone sees it (the witness does,
    tests/test_ledger_witness.py)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open_ledger(url, tmp_path) as ledger:
        import_file(ledger, write_lines(tmp_path / "a.jsonl", [person_line("p1"), *_lines(1, 3)]))
    shutil.copy(tmp_path / "ledger.db", tmp_path / "old.db")
    with open_ledger(url, tmp_path) as ledger:
        import_file(ledger, write_lines(tmp_path / "b.jsonl", _lines(10, 3)))
    shutil.copy(tmp_path / "old.db", tmp_path / "ledger.db")
    with open_ledger(url, tmp_path) as ledger:
        assert verify(ledger).events == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_v4_ledger_is_signed_again_when_upgraded(backend: str, tmp_path: Path) -> None:
    with store_url(backend, tmp_path) as url:
        with open_ledger(url, tmp_path, schema_target=4, checkpoint_every=EVERY) as old:
            lines = [person_line("p1"), *_lines(1, 7)]
            import_file(old, write_lines(tmp_path / "in.jsonl", lines), batch_lines=2)
        before = raw(url, "SELECT signature FROM checkpoints ORDER BY id")
        assert len(before) == 2
        with open_ledger(url, tmp_path, checkpoint_every=EVERY) as upgraded:
            assert verify(upgraded).checkpoints == 2
        after = raw(url, "SELECT signature FROM checkpoints ORDER BY id")
        assert all(a != b for a, b in zip(after, before, strict=True))
        # The old signatures no longer pass: a v4 checkpoint copied into v5's head fails.
        raw(url, f"UPDATE heads SET signature = '{before[-1][0]}'")
        assert "head's signature does not hold" in fault(url, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_broken_v4_signature_stays_broken_after_the_upgrade(backend: str, tmp_path: Path) -> None:
    with store_url(backend, tmp_path) as url:
        with open_ledger(url, tmp_path, schema_target=4, checkpoint_every=EVERY) as old:
            lines = [person_line("p1"), *_lines(1, 7)]
            import_file(old, write_lines(tmp_path / "in.jsonl", lines), batch_lines=2)
        raw(url, "UPDATE checkpoints SET event_hash = 'forged' WHERE id = 1")
        assert "checkpoint 1's signature does not hold" in fault(url, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_upgrade_refuses_another_signing_key(backend: str, tmp_path: Path) -> None:
    with store_url(backend, tmp_path) as url:
        with open_ledger(url, tmp_path, schema_target=4) as old:
            import_file(old, write_lines(tmp_path / "in.jsonl", [person_line("p1")]))
        other = {**environ(url, tmp_path), "LICITE_SIGNING_KEY": "22" * 32}
        with pytest.raises(KeyProblem) as caught:
            from licite.ledger import Ledger

            Ledger.open(url, environ=other).close()
        assert "LICITE_SIGNING_KEY" in caught.value.text.en
        assert raw(url, "SELECT MAX(version) FROM schema_version") == [(4,)]
