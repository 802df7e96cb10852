"""PostgreSQL lost in the middle of an import, on a cluster of the test's own.

The server is stopped at once (`pg_ctl stop -m immediate`, as a crash would)
or the importer's connection is ended (`pg_terminate_backend`) after a few
acknowledged batches. The importer must say the store is unavailable, with its
exit status and no traceback; once the server is back, every acknowledged line
is there, the chain verifies, and running the import again completes it
without a duplicate.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from tests.faults_support import COMMAND, acknowledged, fill, licite, throwaway_cluster
from tests.test_ledger_durability import numbered_lines
from tests.test_ledger_support import raw, write_lines

STORE_UNAVAILABLE = 5
DISK_FULL = 74


@pytest.mark.parametrize("loss", ["server-stopped", "connection-terminated"])
def test_postgresql_lost_mid_import(tmp_path: Path, loss: str) -> None:
    rng = random.Random(loss)
    with throwaway_cluster() as cluster:
        env = {
            **os.environ,
            "LICITE_DATABASE_URL": cluster.url,
            "LICITE_KEY_DIR": str(tmp_path / "keys"),
        }
        lines = numbered_lines("g", 120, 25)
        path = write_lines(tmp_path / "in.jsonl", lines)
        importer = subprocess.Popen(
            [*COMMAND, "--lang", "en", "ledger", "import", "--batch-lines", "20", str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert importer.stdout is not None
        first = importer.stdout.readline()
        assert "committed" in first, first
        time.sleep(rng.uniform(0.05, 0.3))
        if loss == "server-stopped":
            cluster.stop("immediate")
        else:
            with psycopg.connect(cluster.url, autocommit=True) as admin:
                ended = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'"
                ).fetchall()
            assert ended, "no importer connection to end"
        rest, err = importer.communicate(timeout=120)
        done = acknowledged(first + rest)
        assert importer.returncode == STORE_UNAVAILABLE, (importer.returncode, err)
        assert done < len(lines), "the import finished before the server was lost"
        assert "Traceback" not in err and "internal error" not in err, err
        assert "PostgreSQL" in err and "unavailable" in err, err
        if loss == "server-stopped":
            cluster.start()
        sources = [s for (s,) in raw(cluster.url, "SELECT source FROM events")]
        assert len(sources) == len(set(sources)), "an event was recorded twice"
        wanted = {line["source"] for line in lines[:done] if "source" in line}
        assert wanted <= set(sources), f"acknowledged through line {done}, not all there"
        intact = licite(["ledger", "verify"], env)
        assert intact.returncode == 0, intact.stdout + intact.stderr
        again = licite(["ledger", "import", str(path)], env)
        assert again.returncode == 0, again.stderr
        events = sum("source" in line for line in lines)
        assert raw(cluster.url, "SELECT COUNT(*), COUNT(DISTINCT source) FROM events") == [
            (events, events)
        ]
        assert licite(["ledger", "verify"], env).returncode == 0


def test_postgresql_on_a_full_disk_says_so(tmp_path: Path) -> None:
    """The server's own disk fills during an import: the import says disk full (exit 74),
    keeps what it acknowledged, and completes once there is room again."""
    with throwaway_cluster(disk="64m") as cluster:
        env = {
            **os.environ,
            "LICITE_DATABASE_URL": cluster.url,
            "LICITE_KEY_DIR": str(tmp_path / "keys"),
        }
        first = write_lines(tmp_path / "first.jsonl", numbered_lines("h", 100, 10))
        assert licite(["ledger", "import", str(first)], env).returncode == 0
        lines = numbered_lines("g", 400, 30)
        path = write_lines(tmp_path / "in.jsonl", lines)
        filler = fill(cluster.data.parent, leave=3_000_000)
        full = licite(["--lang", "en", "ledger", "import", "--batch-lines", "500", str(path)], env)
        done = acknowledged(full.stdout)
        assert 0 < done < len(lines), done
        assert "Traceback" not in full.stderr and "internal error" not in full.stderr
        # A WAL write that finds no room stops the server (PANIC). The importer's own
        # backend says why (disk full); were it another process, the importer would
        # only see the connection lost.
        crashed = not cluster.running()
        if full.returncode != DISK_FULL:
            assert crashed and full.returncode == STORE_UNAVAILABLE, full.stderr
            assert "unavailable" in full.stderr, full.stderr
        else:
            assert "disk full" in full.stderr, full.stderr
        filler.unlink()
        if crashed:
            cluster.start()  # and it recovers from its WAL
        cluster.accepting()  # a surviving postmaster may still be replaying it
        sources = {s for (s,) in raw(cluster.url, "SELECT source FROM events")}
        assert {line["source"] for line in lines[:done] if "source" in line} <= sources
        assert licite(["ledger", "verify"], env).returncode == 0
        again = licite(["ledger", "import", str(path)], env)
        assert again.returncode == 0, again.stderr
        assert raw(cluster.url, "SELECT COUNT(source), COUNT(DISTINCT source) FROM events") == [
            (13_000, 13_000)
        ]
        assert licite(["ledger", "verify"], env).returncode == 0
