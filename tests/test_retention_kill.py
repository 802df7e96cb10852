"""Issue 20: a `licite retention run` SIGKILLed at random points leaves a consistent ledger.

Real processes, killed at seeded random moments (tests/faults_support.py): after every
kill the chain verifies, every person the runs recorded as erased is erased (and the
reverse: an erasure and its record are one transaction), no one is recorded twice; at
the end a plain run finishes (everyone whom the engine says no one may keep is erased)
and a further run erases no one. Five kills while erasing here; twenty anywhere in the
run (deciding, erasing, writing the report) in the slow test.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from licite.ledger import import_file, verify
from licite.moments import parse_moment
from licite.retention import Plan
from licite.retention.sample import AT, POLITICAL, write_ledger_file
from licite.service.campaigns import add_campaign
from tests.faults_support import Killed, kill_rounds, licite
from tests.test_ledger_support import environ, open_ledger, raw, store_url

PEOPLE = 300


def _killed_runs(tmp_path: Path, kills: int, seed: int, mid_erasure: bool) -> None:
    """`mid_erasure`: each kill lands within 0.1 s of the run's first erasure (the
    phase after every person was decided); else anywhere in the run."""
    with store_url("sqlite", tmp_path) as url:
        with open_ledger(url, tmp_path) as ledger:
            assert not import_file(
                ledger, write_ledger_file(tmp_path / "in.jsonl", PEOPLE)
            ).rejected
            add_campaign(ledger, POLITICAL)
            expected = {v.person for v in Plan(ledger, parse_moment(AT)).verdicts() if v.erase}
        env = environ(url, tmp_path)
        args = ["retention", "run", "--at", AT, "--batch", "2",
                "--report", str(tmp_path / "reports")]  # fmt: skip
        # How long a whole run takes, to spread the kills over it.
        spare = tmp_path / "spare"
        spare.mkdir()
        with store_url("sqlite", spare) as spare_url:
            with open_ledger(spare_url, spare) as ledger:
                import_file(ledger, write_ledger_file(spare / "in.jsonl", PEOPLE))
            started = time.monotonic()
            assert licite(args, environ(spare_url, spare)).returncode == 0
            seconds = time.monotonic() - started
        seen: list[int] = []
        pristine = tmp_path / "pristine"
        pristine.mkdir()
        db = Path(url[len("sqlite:///") :])
        with open_ledger(url, tmp_path) as ledger:
            ledger.store.forget()  # the write-ahead log emptied into the file
        shutil.copy2(db, pristine / db.name)

        def args_for(number: int) -> list[str]:
            """Once a round left everyone erased, the next starts again from the ledger as
            imported (the same keys), so that every kill lands in work still to do."""
            done = raw(url, "SELECT COUNT(*) FROM persons WHERE erased_at_us IS NOT NULL")
            if done == [(len(expected),)]:
                for leftover in (Path(f"{db}-wal"), Path(f"{db}-shm")):
                    leftover.unlink(missing_ok=True)
                shutil.copy2(pristine / db.name, db)
            return args

        def check(round_: Killed) -> None:
            with open_ledger(url, tmp_path) as ledger:
                verify(ledger)
            erased = {
                p for (p,) in raw(url, "SELECT id FROM persons WHERE erased_at_us IS NOT NULL")
            }
            recorded = [p for (p,) in raw(url, "SELECT person_id FROM retention_erasures")]
            assert len(recorded) == len(set(recorded)), "a person recorded twice"
            assert erased == set(recorded), "an erasure without its record, or the reverse"
            assert erased <= expected, "someone the engine keeps was erased"
            seen.append(len(erased))

        def erasures() -> object:
            return raw(url, "SELECT COUNT(*) FROM retention_erasures")

        moment = {"marker": erasures, "wait": 0.1} if mid_erasure else {"wait": seconds}
        tally = kill_rounds(args_for, env, check, kills=kills, seed=seed, **moment)
        assert tally.kills >= kills
        finished = licite(["--lang", "en", *args], env)
        assert finished.returncode == 0, finished.stderr
        erased = {p for (p,) in raw(url, "SELECT id FROM persons WHERE erased_at_us IS NOT NULL")}
        assert erased == expected
        again = licite(["--lang", "en", *args], env)
        assert again.returncode == 0 and " 0 erased" in again.stdout, again.stdout
        assert raw(url, "SELECT COUNT(*) FROM retention_erasures") == [(len(expected),)]
        print("erased after each round:", seen, "of", len(expected))
        assert any(0 < n < len(expected) for n in seen), "no kill landed inside a run"


def test_runs_killed_while_erasing_leave_a_consistent_ledger(tmp_path: Path) -> None:
    _killed_runs(tmp_path, kills=5, seed=20, mid_erasure=True)


@pytest.mark.slow
def test_twenty_runs_killed_anywhere(tmp_path: Path) -> None:
    _killed_runs(tmp_path, kills=20, seed=2020, mid_erasure=False)
