"""The fault suite's machinery: real processes killed, real disks filled, a real server lost.

- `licite(...)`: the installed command line in a fresh process (what a user runs).
- `kill_rounds(...)`: runs an operation in a subprocess again and again and
  SIGKILLs it at seeded random moments, or as soon as it shows progress
  (a line on stdout, the SQLite write-ahead log growing); after each kill
  the caller's check runs on what the process acknowledged before dying.
- `small_disk(...)`: a tmpfs of a few hundred kilobytes mounted for one test
  (we need root for it): skipped with the reason otherwise, failing under CI=true.
- `throwaway_cluster(...)`: a PostgreSQL cluster of its own, on its own port,
  that a test may stop and start again, run as the `postgres` user.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest

COMMAND = [sys.executable, "-c", "from licite.commands import main; main()"]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def unavailable(reason: str) -> NoReturn:
    """Skip with the reason, or fail under CI=true: CI must run the whole fault suite."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def licite(
    args: Sequence[str], env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def overwriting(env: Mapping[str, str]) -> list[str]:
    """`--overwrite` where `licite scrub` needs it to replace its own earlier output."""
    shown = licite(["scrub", "--help"], env).stdout
    return ["--overwrite"] if "--overwrite" in shown else []


def acknowledged(output: str) -> int:
    """The last line an import said it committed ("committed through line N")."""
    acks = [int(line.rsplit(" ", 1)[1]) for line in output.splitlines() if "committed" in line]
    return max(acks, default=0)


@dataclass(slots=True)
class Killed:
    """One round: what the process printed before it died, and whether it was killed
    (False when it had already finished by the chosen moment)."""

    number: int
    stdout: str
    killed: bool
    returncode: int


@dataclass(slots=True)
class Tally:
    rounds: list[Killed] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return sum(r.killed for r in self.rounds)


def wal_size(wal: Path) -> int:
    """A progress marker: the SQLite write-ahead log grows when a write begins."""
    try:
        return wal.stat().st_size
    except FileNotFoundError:
        return 0


def hidden_work(folder: Path) -> list[str]:
    """A progress marker: the scrub's staging folders (.<out>.partial-<pid>) in `folder`."""
    return sorted(p.name for p in folder.glob(".*.partial-*"))


@contextmanager
def connections_named(url: str, name: str) -> Iterator[Callable[[], int]]:
    """A progress marker: how many connections called `name` (their application_name)
    the PostgreSQL server holds, i.e. whether a licite process has opened its ledger."""
    with psycopg.connect(url, autocommit=True, application_name="licite-faults-watch") as watch:

        def count() -> int:
            row = watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
            ).fetchone()
            return int(row[0]) if row else 0

        yield count


def wait_for_change(process: subprocess.Popen[str], marker: Callable[[], object]) -> None:
    """Poll `marker` until it differs from its value now, or the process ends."""
    before = marker()
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if marker() != before:
            return
        time.sleep(0.0005)


def kill_rounds(
    args_for: Callable[[int], Sequence[str]],
    env: Mapping[str, str],
    check: Callable[[Killed], None],
    *,
    kills: int,
    seed: int,
    wait: float,
    earliest: float = 0.0,
    after_output: bool = False,
    marker: Callable[[], object] | None = None,
    max_rounds: int | None = None,
) -> Tally:
    """Run `args_for(round)` in a subprocess and SIGKILL it, until `kills` were killed.

    The moment: a seeded random delay in [`earliest`, `wait`] seconds after the process shows
    life, which is its start, or its first line on stdout (`after_output`), or the
    first change of `marker()` (the SQLite WAL growing as a write begins, a staging
    folder appearing: this is how a short write such as an erasure is caught in the
    middle). `check` sees every round, killed or not."""
    rng = random.Random(seed)
    tally = Tally()
    limit = max_rounds or kills * 4
    for number in range(limit):
        if tally.kills >= kills:
            break
        args = [*COMMAND, *args_for(number)]
        before = marker() if marker is not None else None
        process = subprocess.Popen(
            args,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        first = ""
        if after_output:
            first = process.stdout.readline()
        elif marker is not None:
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline:
                if marker() != before:
                    break
                time.sleep(0.0005)
        time.sleep(rng.uniform(earliest, wait))
        killed = process.poll() is None
        if killed:
            process.send_signal(signal.SIGKILL)
        rest, _ = process.communicate(timeout=120)
        round_ = Killed(number, first + rest, killed, process.returncode)
        tally.rounds.append(round_)
        check(round_)
    assert tally.kills >= kills, f"only {tally.kills} of {kills} kills in {limit} rounds"
    return tally


@contextmanager
def small_disk(size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "512k") mounted for the block, unmounted after."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        unavailable("a full disk needs a tmpfs mounted by root (not root here)")
    where = Path(tempfile.mkdtemp(prefix="licite-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        where.rmdir()
        unavailable(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        with suppress(OSError):
            where.rmdir()


def fill(directory: Path, leave: int = 0) -> Path:
    """Write a file that takes every free byte of `directory`'s disk but `leave`."""
    filler = directory / "filler"
    number = 0
    while filler.exists():
        number += 1
        filler = directory / f"filler{number}"
    chunk = b"\0" * 65536
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(chunk)
                handle.flush()
        except OSError:
            pass
    if leave:
        size = filler.stat().st_size
        os.truncate(filler, max(0, size - leave))
    return filler


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(slots=True)
class Cluster:
    """A PostgreSQL cluster of one test: `stop()` cuts every connection, `start()` again."""

    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start(self) -> None:
        done = self._ctl(
            "-w",
            "-l",
            str(self.data.parent / "log"),
            "-o",
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c min_wal_size=2MB -c max_wal_size=4MB",
            "start",
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def stop(self, mode: str = "immediate") -> None:
        self._ctl("-w", "-m", mode, "stop")

    def running(self) -> bool:
        return self._ctl("status").returncode == 0

    def accepting(self, timeout: float = 60.0) -> None:
        """Wait until the server takes connections: a postmaster that survived a backend's
        PANIC restarts the others and replays its WAL first ("the database system is not
        yet accepting connections"), while `running` already says yes."""
        deadline = time.monotonic() + timeout
        while True:
            ready = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
                timeout=30,
            )
            if ready.returncode == 0:
                return
            assert time.monotonic() < deadline, f"no connection after {timeout} s\n{self.log()}"
            time.sleep(0.1)

    def log(self) -> str:
        return (self.data.parent / "log").read_text(errors="replace")


@contextmanager
def throwaway_cluster(disk: str | None = None) -> Iterator[Cluster]:
    """initdb and pg_ctl as the `postgres` user (initdb refuses root) in a folder it owns;
    on a tmpfs of size `disk` when given (1 MB WAL segments, so the WAL fits)."""
    if not (PG_BIN / "initdb").exists():
        unavailable(f"no PostgreSQL binaries at {PG_BIN}")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        unavailable("a throwaway cluster is run as the postgres user: needs root and runuser")
    with ExitStack() as stack:
        if disk is None:
            home = Path(tempfile.mkdtemp(prefix="licite-pg-"))
            stack.callback(shutil.rmtree, home, ignore_errors=True)
        else:
            home = stack.enter_context(small_disk(disk))
        try:
            shutil.chown(home, "postgres", "postgres")
        except (LookupError, OSError) as error:
            unavailable(f"no postgres user to own a cluster: {error}")
        home.chmod(0o700)
        cluster = Cluster(home / "data", free_port())
        made = subprocess.run(
            [
                *("runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D"),
                *(str(cluster.data), "-A", "trust", "-U", "postgres", "--no-sync"),
                "--wal-segsize=1",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if made.returncode != 0:
            unavailable(f"initdb failed: {made.stderr.strip()[-300:]}")
        cluster.start()
        stack.callback(cluster.stop)
        yield cluster
