"""Issue 20: two `licite retention run` at once never erase side by side.

A real process runs the retention and is held in the middle of its erasures (after its
first transaction of them), holding the ledger's run lock; meanwhile a second `licite
retention run` — a real process too — stops at once with exit 75 and says why, in French
and in English, having begun nothing (no run recorded, no one decided or erased). A dry
run, which writes nothing, still runs. Released, the first run finishes alone; then a
run starts again. On SQLite (an `flock` beside the file) and PostgreSQL (an advisory lock).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from licite.ledger import import_file
from licite.moments import parse_moment
from licite.retention import Plan
from licite.retention.sample import AT, POLITICAL, write_ledger_file
from licite.service.campaigns import add_campaign
from tests.faults_support import licite
from tests.test_ledger_support import BACKENDS, environ, open_ledger, raw, store_url

HELD = """
import sys, time
from pathlib import Path
from licite.ledger import Ledger
from licite.moments import parse_moment
from licite.retention import run_retention

at, held, release = sys.argv[1:4]

def progress(decided: int, erased: int) -> None:
    if erased and not Path(held).exists():  # one transaction of erasures done: hold here
        Path(held).write_text(str(erased))
        while not Path(release).exists():
            time.sleep(0.02)

with Ledger.open(must_exist=True) as ledger:
    result = run_retention(ledger, parse_moment(at), progress=progress, erase_batch=5)
print(len(result.erased))
"""


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        with open_ledger(located, tmp_path) as ledger:
            assert not import_file(ledger, write_ledger_file(tmp_path / "in.jsonl", 200)).rejected
            add_campaign(ledger, POLITICAL)
        yield located


def _wait_for(path: Path, holder: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        if holder.poll() is not None:
            pytest.fail(f"the first run ended before holding: {holder.communicate()}")
        assert time.monotonic() < deadline, "the first run never reached its erasures"
        time.sleep(0.05)


def test_a_second_run_stops_while_one_erases(url: str, tmp_path: Path) -> None:
    env = {**os.environ, **environ(url, tmp_path)}
    with open_ledger(url, tmp_path) as ledger:
        expected = {v.person for v in Plan(ledger, parse_moment(AT)).verdicts() if v.erase}
    assert len(expected) > 5
    held, release = tmp_path / "held", tmp_path / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", HELD, AT, str(held), str(release)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(held, holder)
        before = raw(url, "SELECT COUNT(*) FROM retention_erasures")
        assert before == [(5,)]
        reports = ["--report", str(tmp_path / "reports")]
        said = {}
        for lang in ("fr", "en"):
            second = licite(["--lang", lang, "retention", "run", "--at", AT, *reports], env)
            assert second.returncode == 75, (second.stdout, second.stderr)
            said[lang] = second.stderr
        assert "un autre passage est déjà en cours sur ce registre" in said["fr"]
        assert "another run is already under way on this ledger" in said["en"]
        assert "Traceback" not in said["fr"] + said["en"]
        # It began nothing: no run of its own, no erasure beside the first run's.
        assert raw(url, "SELECT COUNT(*) FROM retention_runs") == [(1,)]
        assert raw(url, "SELECT COUNT(*) FROM retention_erasures") == before
        dry = licite(["--lang", "en", "retention", "run", "--dry-run", "--at", AT, *reports], env)
        assert dry.returncode == 0, dry.stderr
    finally:
        release.write_text("go")
        out, err = holder.communicate(timeout=300)
    assert holder.returncode == 0, err
    assert int(out.strip()) == len(expected)
    erased = [p for (p,) in raw(url, "SELECT person_id FROM retention_erasures")]
    assert sorted(erased) == sorted(expected)  # each once, all by the first run
    assert raw(url, "SELECT run_id, COUNT(*) FROM retention_erasures GROUP BY run_id") == [
        (1, len(expected))
    ]
    # The lock went with the run: the next one runs (and has nothing left to erase).
    after = licite(["--lang", "en", "retention", "run", "--at", AT, *reports], env)
    assert after.returncode == 0 and " 0 erased" in after.stdout, (after.stdout, after.stderr)
