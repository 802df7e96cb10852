"""Issue 13, finding 4: an erased person cannot be decrypted again from any copy.

The attack: someone holds every key file licite has (the master or epoch keys,
the HMAC and signing keys) and a copy of the store — a backup taken before the
erasure, the SQLite file and its write-ahead log, a PostgreSQL heap file (dead
rows included), a `pg_dump`, the WAL segments written meanwhile. They look for
any wrapped person key that opens with a key they hold and then opens the
erased person's sealed email. Before the rotation that follows the erasure the
search finds it (so the test can fail); after it, nothing, while everyone else
stays readable.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from licite.case import Person
from licite.errors import KeyProblem
from licite.ledger import import_file, verify
from licite.ledger.crypto import unseal, unwrap_key
from licite.ledger.epochs import Epochs
from licite.ledger.erasure import erase, rotate_keys
from licite.ledger.journal import Batch
from licite.ledger.people import PersonRecords
from licite.vocabulary import PersonKind
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

EMAIL = "marie.erased@example.fr"
PEOPLE = [
    person_line("gone", email=EMAIL),
    event_line(
        "gone",
        "2024-06-01T10:00:00+02:00",
        "consent",
        channel="email",
        purpose="commercial",
        mechanism="checkbox",
        proof={"form": "https://shop.example/f", "ip": "192.0.2.10", "recorded_by": "web"},
    ),
    *(person_line(f"kept{i}", email=f"kept{i}@example.fr") for i in range(40)),
]
_RUN = re.compile(rb"[A-Za-z0-9+/]{80,}")
_HEX_KEY = re.compile(r"\b[0-9a-f]{64}\b")


def key_material(directory: Path) -> list[bytes]:
    """Every 32-byte key written in any file of the key directory."""
    found: list[bytes] = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            found += [bytes.fromhex(h) for h in _HEX_KEY.findall(path.read_text(errors="ignore"))]
    return found


def opens_the_erased(blobs: list[bytes], keys: list[bytes], sealed_email: str) -> bool:
    """Whether any wrapped key in `blobs` opens with one of `keys` and then opens the erased
    person's sealed email (a wrapped key is 80 base64 characters, wherever it sits)."""
    for blob in blobs:
        for match in _RUN.finditer(blob):
            run_ = match.group().decode("ascii")
            for start in range(len(run_) - 79):
                token = run_[start : start + 80]
                for key in keys:
                    try:
                        person_key = unwrap_key(key, "gone", token)
                    except KeyProblem:
                        continue
                    if unseal(person_key, "gone", "email", sealed_email) == EMAIL:
                        return True
    return False


def _needs_files(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class Postgres:
    """What an attacker with the server's files and `pg_dump` sees of one test schema."""

    def __init__(self, url: str) -> None:
        self.url = url
        with psycopg.connect(url, autocommit=True) as pg:
            self.data = Path(_one(pg, "SHOW data_directory"))
            self.start_lsn = _one(pg, "SELECT pg_current_wal_lsn()")
        if not os.access(self.data, os.R_OK | os.X_OK):
            _needs_files(f"PostgreSQL data directory {self.data} is not readable here")

    def heap(self) -> bytes:
        """A copy of `person_keys`'s heap file, dead rows and all, after a checkpoint."""
        with psycopg.connect(self.url, autocommit=True) as pg:
            pg.execute("CHECKPOINT")
            relative = _one(pg, "SELECT pg_relation_filepath('person_keys')")
        path = self.data / relative
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))

    def wal(self) -> bytes:
        """The WAL segments written since this object was made."""
        with psycopg.connect(self.url, autocommit=True) as pg:
            pg.execute("SELECT pg_switch_wal()")
            names = pg.execute(
                "SELECT pg_walfile_name(%s::pg_lsn), pg_walfile_name(pg_current_wal_lsn())",
                (self.start_lsn,),
            ).fetchone()
        assert names is not None
        first, last = names
        segments = sorted((self.data / "pg_wal").glob("[0-9A-F]" * 24))
        written = b"".join(s.read_bytes() for s in segments if first <= s.name <= last)
        assert written, (first, last)
        return written

    def dump(self) -> bytes:
        schema = raw(self.url, "SELECT current_schema()")[0][0]
        base = self.url.split("?")[0]
        done = subprocess.run(
            ["pg_dump", "--no-owner", f"--schema={schema}", base],
            capture_output=True,
            check=True,
            timeout=120,
        )
        return done.stdout


def _one(pg: psycopg.Connection[Any], sql: str) -> str:
    row = pg.execute(sql).fetchone()
    assert row is not None
    return str(row[0])


def sqlite_files(url: str) -> list[bytes]:
    path = Path(url[len("sqlite:///") :])
    return [p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        yield located


def test_an_erased_person_cannot_be_decrypted_from_any_copy(url: str, tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    postgres = None if url.startswith("sqlite") else Postgres(url)
    with open_ledger(url, tmp_path) as ledger:
        assert not import_file(ledger, write_lines(tmp_path / "in.jsonl", PEOPLE)).rejected
        sealed = raw(url, "SELECT email_sealed FROM persons WHERE id = 'gone'")[0][0]
        # A backup taken before the erasure.
        if postgres is None:
            ledger.store.forget()
            backup = sqlite_files(url)
        else:
            backup = [postgres.dump()]
        erase(ledger, "gone")
    assert raw(url, "SELECT COUNT(*) FROM person_keys WHERE person_id = 'gone'") == [(0,)]
    old_keys = key_material(keys_dir)
    # Before any rotation, the backup and (PostgreSQL) the dead row still give them away.
    assert opens_the_erased(backup, old_keys, sealed)
    if postgres is None:
        # The live file and its WAL hold nothing even before the rotation: the deleted
        # row was zeroed (secure_delete) and the WAL emptied after the erasure.
        assert not opens_the_erased(sqlite_files(url), old_keys, sealed)
    else:
        backup.append(postgres.heap())  # a copy of the heap file, the dead row in it
        assert opens_the_erased(backup[-1:], old_keys, sealed)
    old_files = {p.name for p in keys_dir.iterdir()}
    old_epoch = [bytes.fromhex(p.read_text()) for p in keys_dir.glob("epoch-*.key")]
    assert len(old_epoch) == 1

    env = environ(url, tmp_path)
    result = run(["--lang", "en", "ledger", "rotate-keys"], env)
    assert result.exit_code == 0, result.output
    assert "40 person key(s) re-wrapped, 1 old key(s) destroyed" in result.output

    now_keys = key_material(keys_dir)
    assert {p.name for p in keys_dir.iterdir()} - old_files  # a new epoch key file
    assert old_epoch[0] not in now_keys  # the old epoch key exists nowhere licite reads
    copies = list(backup)
    if postgres is None:
        copies += sqlite_files(url)
    else:
        copies += [postgres.heap(), postgres.dump(), postgres.wal()]
    assert not opens_the_erased(copies, now_keys, sealed)  # nothing they hold opens it…
    assert opens_the_erased(backup, old_keys, sealed)  # …the destroyed key would have
    with open_ledger(url, tmp_path) as ledger:  # everyone else is still readable
        assert ledger.person("kept7").email == "kept7@example.fr"
        assert ledger.person("gone").email is None


def test_rotation_destroys_the_old_epoch_key_and_keeps_everyone(url: str, tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    with open_ledger(url, tmp_path) as ledger:
        import_file(ledger, write_lines(tmp_path / "in.jsonl", PEOPLE))
        first = sorted(keys_dir.glob("epoch-*.key"))
        assert len(first) == 1 and not (keys_dir / "master.key").exists()
        rotated = rotate_keys(ledger)
        assert (rotated.epoch, rotated.rewrapped, rotated.destroyed) == (2, 41, [str(first[0])])
        assert not first[0].exists()
        assert raw(url, "SELECT DISTINCT epoch FROM person_keys") == [(2,)]
        assert ledger.person("gone").email == EMAIL
    with open_ledger(url, tmp_path) as reopened:
        assert reopened.person("kept0").email == "kept0@example.fr"


def test_a_person_prepared_before_a_rotation_is_wrapped_again_at_commit(
    url: str, tmp_path: Path
) -> None:
    with open_ledger(url, tmp_path) as ledger:
        record, _ = PersonRecords(ledger.keys).new(
            "late", Person(id="late", kind=PersonKind.CONSUMER, email="late@example.fr")
        )
        rotate_keys(ledger)  # the epoch `record` was wrapped under is destroyed
        ledger.journal.commit(Batch(persons=[record]))
        assert raw(url, "SELECT epoch FROM person_keys WHERE person_id = 'late'") == [(2,)]
    with open_ledger(url, tmp_path) as reopened:
        assert reopened.person("late").email == "late@example.fr"


def test_a_ledger_from_before_key_epochs_keeps_its_master_key_as_epoch_0(
    url: str, tmp_path: Path
) -> None:
    keys_dir = tmp_path / "keys"
    with open_ledger(url, tmp_path, schema_target=4) as old:
        import_file(old, write_lines(tmp_path / "in.jsonl", PEOPLE))
    assert (keys_dir / "master.key").exists()
    with open_ledger(url, tmp_path) as upgraded:
        assert raw(url, "SELECT id FROM epochs") == [(0,)]
        assert upgraded.person("gone").email == EMAIL
        erase(upgraded, "gone")
    env = environ(url, tmp_path)
    result = run(["--lang", "en", "ledger", "rotate-keys"], env)
    assert result.exit_code == 0, result.output
    assert "master.key) no longer protects anything" in result.output
    (keys_dir / "master.key").unlink()  # the operator destroys it, as told
    with open_ledger(url, tmp_path) as rotated:
        assert rotated.person("kept3").email == "kept3@example.fr"


def test_rotate_keys_if_erased_and_erase_rotate(url: str, tmp_path: Path) -> None:
    env = environ(url, tmp_path)
    with open_ledger(url, tmp_path) as ledger:
        import_file(ledger, write_lines(tmp_path / "in.jsonl", PEOPLE))
    idle = run(["--lang", "en", "ledger", "rotate-keys", "--if-erased"], env)
    assert idle.exit_code == 0 and "nothing to do" in idle.output
    assert raw(url, "SELECT MAX(id) FROM epochs") == [(1,)]
    erased = run(["--lang", "en", "ledger", "erase", "--person", "kept1"], env)
    assert erased.exit_code == 0 and "next key rotation" in erased.output
    due = run(["--lang", "en", "ledger", "rotate-keys", "--if-erased"], env)
    assert due.exit_code == 0 and "key epoch 2" in due.output
    again = run(["--lang", "en", "ledger", "rotate-keys", "--if-erased"], env)
    assert "nothing to do" in again.output
    at_once = run(["--lang", "en", "ledger", "erase", "--person", "kept2", "--rotate"], env)
    assert at_once.exit_code == 0, at_once.output
    assert raw(url, "SELECT MAX(id) FROM epochs") == [(3,)]
    assert len(list((tmp_path / "keys").glob("epoch-*.key"))) == 1


def test_each_new_epoch_key_says_once_that_losing_it_loses_the_data(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    open_ledger(url, tmp_path).close()
    made = capfd.readouterr().err
    assert made.count("losing it loses that data") == 1 and "la perdre" in made
    open_ledger(url, tmp_path).close()
    assert "losing it" not in capfd.readouterr().err
    with open_ledger(url, tmp_path) as ledger:
        rotate_keys(ledger)
    assert capfd.readouterr().err.count("losing it loses that data") == 1


def test_a_missing_epoch_key_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    open_ledger(url, tmp_path).close()
    (key,) = (tmp_path / "keys").glob("epoch-*.key")
    shutil.move(key, tmp_path / "elsewhere.key")
    with pytest.raises(KeyProblem) as caught:
        open_ledger(url, tmp_path)
    assert "epoch key" in caught.value.text.en and "not found" in caught.value.text.en


_ROTATE_FOREVER = """
import sys
from licite.ledger import Ledger
from licite.ledger.erasure import rotate_keys
with Ledger.open() as ledger:
    print("open", flush=True)
    while True:
        rotate_keys(ledger)
        print(ledger.epochs.current, flush=True)
"""


def test_a_rotation_killed_at_any_point_leaves_everyone_readable(url: str, tmp_path: Path) -> None:
    people = [person_line(f"p{i:04d}", email=f"p{i}@example.fr") for i in range(1000)]
    with open_ledger(url, tmp_path) as ledger:
        import_file(ledger, write_lines(tmp_path / "in.jsonl", people))
    env = {**os.environ, **environ(url, tmp_path)}
    chance = random.Random(13)
    rotations = 0
    for kill in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", _ROTATE_FOREVER],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        # Timed from the moment the ledger is open, not from the process's start (which
        # takes seconds on a loaded machine); every fourth kill lets a rotation finish first.
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"open"
        if kill % 4 == 0:
            rotations += len(child.stdout.readline().split())
        time.sleep(chance.uniform(0.0, 1.0))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        rotations += len(out.split())
        with open_ledger(url, tmp_path) as ledger:  # opening finishes a killed rotation
            current = ledger.epochs.current
            for i in range(0, 1000, 37):
                assert ledger.person(f"p{i:04d}").email == f"p{i}@example.fr", (kill, i)
            epochs = dict(raw(url, "SELECT id, key_id FROM epochs"))
            assert raw(url, "SELECT DISTINCT epoch FROM person_keys") == [(current,)]
        files = {p.name for p in (tmp_path / "keys").glob("epoch-*.key")}
        # The current key is there; no older epoch's key survives; any other file is
        # a rotation killed before its commit (it wraps nothing).
        assert f"epoch-{epochs[current]}.key" in files
        assert not {f"epoch-{k}.key" for n, k in epochs.items() if n < current} & files
    assert rotations > 0  # some rotations finished between the kills…
    assert files - {f"epoch-{k}.key" for k in epochs.values()}  # …and some were cut short


_ERASE_FOREVER = """
from licite.ledger import Ledger
from licite.ledger.erasure import erase
with Ledger.open() as ledger:
    print("open", flush=True)
    left = [pid for (pid,) in ledger.store.read(
        "SELECT id FROM persons WHERE erased_at_us IS NULL ORDER BY id")]
    for number, pid in enumerate(left):
        erase(ledger, pid, rotate=number % 3 == 0)
        print(pid, flush=True)
"""


def test_an_erasure_killed_at_any_point_is_whole_or_absent(url: str, tmp_path: Path) -> None:
    people = [person_line(f"p{i:04d}", email=f"p{i}@example.fr") for i in range(1500)]
    with open_ledger(url, tmp_path) as ledger:
        import_file(ledger, write_lines(tmp_path / "in.jsonl", people))
    env = {**os.environ, **environ(url, tmp_path)}
    chance = random.Random(17)
    acknowledged: set[str] = set()
    for kill in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", _ERASE_FOREVER],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert child.stdout is not None
        child.stdout.readline()  # opened: now erasing, one after another
        time.sleep(chance.uniform(0.0, 0.8))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        acknowledged |= set(out.decode().split())
        with open_ledger(url, tmp_path) as ledger:
            verify(ledger)
            rows = raw(
                url,
                "SELECT p.id, p.erased_at_us, k.wrapped,"
                " (SELECT COUNT(*) FROM suppressions s WHERE s.person_id = p.id)"
                " FROM persons p LEFT JOIN person_keys k ON k.person_id = p.id",
            )
            for person_id, erased_at, wrapped, suppressed in rows:
                if erased_at is None:  # absent: key and data intact
                    assert wrapped is not None and suppressed == 0, (kill, person_id)
                    assert person_id not in acknowledged, (kill, person_id)
                else:  # whole: no key, the suppression hashes kept
                    assert wrapped is None and suppressed == 2, (kill, person_id)  # email, phone
            alive = [r[0] for r in rows if r[1] is None]
            for person_id in alive[:: max(1, len(alive) // 20)]:
                assert ledger.person(person_id).email is not None, (kill, person_id)
    assert acknowledged  # erasures completed between the kills


def test_opening_finishes_a_rotation_killed_after_its_commit(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys_dir = tmp_path / "keys"
    with open_ledger(url, tmp_path) as ledger:
        import_file(ledger, write_lines(tmp_path / "in.jsonl", PEOPLE))
        (old,) = keys_dir.glob("epoch-*.key")
        before = raw(url, "SELECT wrapped FROM person_keys WHERE person_id = 'kept5'")[0][0]
        with monkeypatch.context() as killed:  # the process dies between commit and step 3
            killed.setattr(Epochs, "tidy", lambda self: [])
            rotate_keys(ledger)
    assert old.exists()
    # A key still wrapped under the old epoch (as a row restored by hand would be): kept.
    raw(url, f"UPDATE person_keys SET wrapped = '{before}', epoch = 1 WHERE person_id = 'kept5'")
    with open_ledger(url, tmp_path) as ledger:
        assert old.exists() and ledger.person("kept5").email == "kept5@example.fr"
    raw(url, "DELETE FROM person_keys WHERE person_id = 'kept5'")
    with open_ledger(url, tmp_path) as ledger:  # no key refers to it any more: destroyed
        assert not old.exists()
        assert ledger.person("kept6").email == "kept6@example.fr"
