"""Nothing acknowledged is lost; concurrent writers end with one valid chain.

The importer prints "committed through line N" after each committed batch.
It is killed with SIGKILL at random moments, many times, and restarted; every
line it acknowledged must then be in the ledger exactly once, and the chain
must verify.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from licite.ledger import import_file, verify
from tests.test_ledger_support import (
    environ,
    event_line,
    open_ledger,
    person_line,
    postgres_schema,
    raw,
    write_lines,
)

IMPORTER = [sys.executable, "-c", "from licite.commands import main; main()", "ledger", "import"]


def numbered_lines(prefix: str, persons: int, events_each: int) -> list[dict[str, Any]]:
    """Person lines, each followed by events whose `source` names their line."""
    lines: list[dict[str, Any]] = []
    for p in range(persons):
        person_id = f"{prefix}{p}"
        lines.append(person_line(person_id, email=f"{person_id}@example.fr"))
        for e in range(events_each):
            lines.append(
                event_line(
                    person_id,
                    f"2024-{1 + e % 12:02d}-{1 + p % 28:02d}T10:00:00+01:00",
                    "collected",
                    method="form",
                    source=f"{prefix}-line-{len(lines) + 1}",
                )
            )
    return lines


def acknowledged(output: str) -> int:
    acks = [int(line.rsplit(" ", 1)[1]) for line in output.splitlines() if "committed" in line]
    return max(acks, default=0)


def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    env = {**os.environ, **environ(url, tmp_path)}
    lines = numbered_lines("k", 150, 40)
    path = write_lines(tmp_path / "big.jsonl", lines)
    source_line = {line["source"]: n for n, line in enumerate(lines, 1) if "source" in line}
    rng = random.Random(20260811)
    kills = 0
    best = 0
    while kills < 20:
        process = subprocess.Popen(
            [*IMPORTER, "--batch-lines", "100", str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        first = process.stdout.readline()  # wait until it is importing, then kill it mid-way
        time.sleep(rng.uniform(0.0, 0.25))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        output, _ = process.communicate()
        best = max(best, acknowledged(first + output))
        sources = [s for (s,) in raw(url, "SELECT source FROM events")]
        assert len(sources) == len(set(sources)), "an event was recorded twice"
        present = set(sources)
        missing = [s for s, n in source_line.items() if n <= best and s not in present]
        assert not missing, f"acknowledged through line {best}, yet {missing[:3]} are missing"
    assert best > 0, "no batch was ever acknowledged"
    final = subprocess.run(
        [*IMPORTER, str(path)], env=env, capture_output=True, text=True, check=False
    )
    assert final.returncode == 0, final.stderr
    assert raw(url, "SELECT COUNT(*), COUNT(DISTINCT source) FROM events") == [(6000, 6000)]
    with open_ledger(url, tmp_path) as ledger:
        assert verify(ledger).events == 6000


def test_threads_on_sqlite_share_one_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    open_ledger(url, tmp_path).close()
    files = [
        write_lines(tmp_path / f"t{i}.jsonl", numbered_lines(f"t{i}-", 20, 10)) for i in range(4)
    ]
    errors: list[BaseException] = []

    def work(path: Path) -> None:
        try:
            with open_ledger(url, tmp_path) as ledger:
                import_file(ledger, path, batch_lines=7)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f,)) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_ledger(url, tmp_path) as ledger:
        found = verify(ledger)
    assert (found.events, found.persons) == (800, 80)


def test_processes_on_postgresql_share_one_chain(tmp_path: Path) -> None:
    with postgres_schema() as url:
        env = {**os.environ, **environ(url, tmp_path)}
        open_ledger(url, tmp_path).close()
        files = [
            write_lines(tmp_path / f"w{i}.jsonl", numbered_lines(f"w{i}-", 20, 10))
            for i in range(3)
        ]
        writers = [
            subprocess.Popen(
                [*IMPORTER, "--batch-lines", "11", str(f)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for f in files
        ]
        for writer in writers:
            _, err = writer.communicate(timeout=120)
            assert writer.returncode == 0, err
        with open_ledger(url, tmp_path) as ledger:
            found = verify(ledger)
        assert (found.events, found.persons) == (600, 60)
        interleaved = raw(url, "SELECT person_id FROM events ORDER BY seq")
        assert len({p[:2] for (p,) in interleaved[:300]}) > 1, "writers did not overlap"


@pytest.mark.parametrize("batch", [1, 1000])
def test_batch_size_does_not_change_the_ledger(tmp_path: Path, batch: int) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open_ledger(url, tmp_path) as ledger:
        report = import_file(
            ledger, write_lines(tmp_path / "in.jsonl", numbered_lines("b", 3, 5)), batch_lines=batch
        )
        assert (report.events_added, report.persons_added) == (15, 3)
