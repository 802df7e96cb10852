"""SIGKILL during every write licite makes, at least twenty times each, on both stores.

Each operation is a real `licite` process killed at a seeded random moment:
after it acknowledged its first batch (import), as soon as its SQLite write
began (erase: the write-ahead log grows), or anywhere in its run (scrub, and
erase on PostgreSQL). After every kill: what was acknowledged is there, once;
an erasure happened whole or not at all, and an erased person cannot be read;
no output folder looks complete while partial; the chain verifies. At the end
a plain re-run completes. A new operation (key rotation) is one more `Operation`.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from licite.ledger import verify
from licite.ledger.erasure import erase
from tests.faults_support import (
    COMMAND,
    Killed,
    acknowledged,
    connections_named,
    hidden_work,
    kill_rounds,
    licite,
    unavailable,
    wait_for_change,
    wal_size,
)
from tests.test_ledger_durability import numbered_lines
from tests.test_ledger_support import BACKENDS, environ, open_ledger, raw, store_url, write_lines

KILLS = 20


@dataclass(slots=True)
class World:
    """One test's ledger, its configuration, and what the operation remembers between rounds."""

    tmp: Path
    url: str
    env: dict[str, str]
    resources: ExitStack
    state: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    """On PostgreSQL, the application_name every licite process of the test connects with."""

    @property
    def wal(self) -> Path | None:
        if not self.url.startswith("sqlite:///"):
            return None
        return Path(self.url[len("sqlite:///") :] + "-wal")

    def run(self, *args: str) -> str:
        done = licite(list(args), self.env)
        assert done.returncode == 0, f"licite {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def tally(self, what: str, killed: bool = True) -> None:
        """Count how rounds ended (printed at the end: where the kills landed)."""
        if killed:
            counts = self.state.setdefault("tally", {})
            counts[what] = counts.get(what, 0) + 1

    def verifies(self) -> None:
        with open_ledger(self.url, self.tmp) as ledger:
            verify(ledger)


class Operation:
    """A write to kill: what it needs, how it is run, what must hold after each kill."""

    name = ""
    stores: tuple[str, ...] = BACKENDS

    def prepare(self, world: World) -> None:
        """Build what the operation works on (uninterrupted)."""

    def args(self, world: World, number: int) -> list[str]:
        raise NotImplementedError

    def moment(self, world: World) -> dict[str, Any]:
        """How `kill_rounds` picks the moment of the kill."""
        raise NotImplementedError

    def after_kill(self, world: World, round_: Killed) -> None:
        """What must hold after this round (killed or finished)."""

    def finish(self, world: World) -> None:
        """A plain re-run completes; the end state is whole."""


class Import(Operation):
    name = "import"

    def prepare(self, world: World) -> None:
        lines = numbered_lines("k", 70, 20)
        world.state["path"] = write_lines(world.tmp / "in.jsonl", lines)
        world.state["source_line"] = {
            line["source"]: n for n, line in enumerate(lines, 1) if "source" in line
        }
        world.state["best"] = 0
        world.state["last"] = len(lines)

    def args(self, world: World, number: int) -> list[str]:
        return ["ledger", "import", "--batch-lines", "40", str(world.state["path"])]

    def moment(self, world: World) -> dict[str, Any]:
        # Once the whole file is in, a round only finds every line recorded: it lives a few
        # tens of milliseconds past its first line (less since the interpreter's shutdown
        # skips the cycle search, `commands.root.main`), and most delays outlast it. More
        # rounds, not shorter delays: a kill late in a real batch stays possible.
        return {"after_output": True, "wait": 0.25, "max_rounds": KILLS * 8}

    def after_kill(self, world: World, round_: Killed) -> None:
        best = world.state["best"] = max(world.state["best"], acknowledged(round_.stdout))
        whole = best == world.state["last"]
        world.tally(f"killed with {'all' if whole else 'part'} acknowledged", round_.killed)
        sources = [s for (s,) in raw(world.url, "SELECT source FROM events")]
        assert len(sources) == len(set(sources)), "an event was recorded twice"
        lost = [s for s, n in world.state["source_line"].items() if n <= best and s not in sources]
        assert not lost, f"acknowledged through line {best}, yet {lost[:3]} are missing"

    def finish(self, world: World) -> None:
        assert world.state["best"] > 0, "no batch was ever acknowledged"
        world.run("ledger", "import", str(world.state["path"]))
        expected = len(world.state["source_line"])
        assert raw(world.url, "SELECT COUNT(*), COUNT(DISTINCT source) FROM events") == [
            (expected, expected)
        ]


class Erase(Operation):
    name = "erase"
    people = KILLS * 2

    def prepare(self, world: World) -> None:
        world.run("ledger", "import", str(write_lines(world.tmp / "people.jsonl", self._lines())))
        world.state["wrapped"] = dict(raw(world.url, "SELECT person_id, wrapped FROM person_keys"))
        # How long an erasure takes from its connection (PostgreSQL) or its start to its end.
        marker = self._marker(world)
        spare = subprocess.Popen(
            [*COMMAND, "ledger", "erase", "--person", "e-spare"], env=world.env, text=True
        )
        if marker is not None:
            wait_for_change(spare, marker)
        started = time.monotonic()
        assert spare.wait(timeout=120) == 0
        world.state["seconds"] = time.monotonic() - started

    def _marker(self, world: World) -> Callable[[], object] | None:
        """What shows that the erasure is at work: the WAL growing on SQLite (its write
        begun), its connection on PostgreSQL."""
        wal = world.wal
        if wal is not None:
            return lambda: wal_size(wal)
        if "marker" not in world.state:
            world.state["marker"] = world.resources.enter_context(
                connections_named(world.url, world.name)
            )
        marker: Callable[[], object] = world.state["marker"]
        return marker

    def _lines(self) -> list[dict[str, Any]]:
        lines = numbered_lines("e", self.people, 2)
        lines.append({**lines[0], "id": "e-spare", "email": "spare@example.fr"})
        return lines

    def args(self, world: World, number: int) -> list[str]:
        return ["ledger", "erase", "--person", f"e{number}"]

    def moment(self, world: World) -> dict[str, Any]:
        # SQLite: within a few ms of its write's start; PostgreSQL: once connected.
        wait = 0.002 if world.wal is not None else world.state["seconds"] * 1.1
        return {"marker": self._marker(world), "wait": wait, "max_rounds": self.people}

    def after_kill(self, world: World, round_: Killed) -> None:
        person_id = f"e{round_.number}"
        erased = self._erased(world, person_id)
        world.tally(f"killed {'after' if erased else 'before'} the commit", round_.killed)
        if not erased:  # the re-run completes it (in this process: a second start is slow)
            with open_ledger(world.url, world.tmp) as ledger:
                erase(ledger, person_id)
            assert self._erased(world, person_id)
        # The next person is untouched by this one's erasure.
        if round_.number + 1 < self.people:
            other = f"e{round_.number + 1}"
            assert not self._erased(world, other)
            with open_ledger(world.url, world.tmp) as ledger:
                assert ledger.person(other).email == f"{other}@example.fr"

    def _erased(self, world: World, person_id: str) -> bool:
        """Whether the person is erased, checking that it happened whole or not at all."""
        keys, erased, suppressed, objections = raw(
            world.url,
            "SELECT"
            f" (SELECT COUNT(*) FROM person_keys WHERE person_id = '{person_id}'),"
            f" (SELECT COUNT(*) FROM persons WHERE id = '{person_id}'"
            "   AND erased_at_us IS NOT NULL AND fingerprint IS NULL),"
            f" (SELECT COUNT(*) FROM suppressions WHERE person_id = '{person_id}'),"
            f" (SELECT COUNT(*) FROM events WHERE person_id = '{person_id}'"
            "   AND type = 'objection')",
        )[0]
        whole = (keys, erased, suppressed, objections) == (0, 1, 2, 1)
        untouched = (keys, erased, suppressed, objections) == (1, 0, 0, 0)
        assert whole or untouched, f"{person_id} half erased: {(keys, erased, suppressed)}"
        if whole:
            with open_ledger(world.url, world.tmp) as ledger:
                person = ledger.person(person_id)
            assert (person.email, person.phone, person.postal_code) == (None, None, None)
        return whole

    def finish(self, world: World) -> None:
        erased = [p for (p,) in raw(world.url, "SELECT id FROM persons WHERE erased_at_us > 0")]
        assert len(erased) >= KILLS
        if world.wal is not None:
            # Closed cleanly, the SQLite files keep no copy of an erased person's key
            # (secure_delete, the write-ahead log checkpointed): searched byte by byte.
            world.verifies()
            stored = b"".join(f.read_bytes() for f in world.wal.parent.glob("ledger.db*"))
            found = [p for p in erased if world.state["wrapped"][p].encode() in stored]
            assert not found, f"the keys of erased {found[:3]} are still in the files"
            kept = world.state["wrapped"][f"e{self.people - 1}"].encode()
            assert kept in stored, "the search would not find a key that is there"
        gone = world.run("ledger", "export", "--person", "e0")
        assert "e0@example.fr" not in gone
        kept = world.run("ledger", "export", "--person", f"e{self.people - 1}")
        assert f"e{self.people - 1}@example.fr" in kept


CAMPAIGN = {
    "at": "2026-11-02T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "x"},
}
OUTPUTS = {"allowed.csv", "blocked.csv", "rejected.csv", "summary.json", "report.html"}


class Scrub(Operation):
    name = "scrub"
    stores = ("sqlite",)
    rows = 3_000

    def prepare(self, world: World) -> None:
        world.run("ledger", "import", str(write_lines(world.tmp / "l.jsonl", self._ledger())))
        campaign = world.tmp / "campaign.json"
        campaign.write_text(json.dumps(CAMPAIGN), encoding="utf-8")
        contacts = world.tmp / "contacts.csv"
        with contacts.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "kind", "email", "phone", "postal_code"])
            for n in range(self.rows):
                writer.writerow([f"s{n % 100}", "consumer", f"s{n}@example.fr", "", "75011"])
        world.state.update(contacts=contacts, campaign=campaign, outs=world.tmp / "outs")
        # How long its outputs take to write: from the staging folder to the end.
        outs: Path = world.state["outs"]
        outs.mkdir()
        whole = subprocess.Popen([*COMMAND, *self.args(world, -1)], env=world.env, text=True)
        wait_for_change(whole, lambda: hidden_work(outs))
        started = time.monotonic()
        assert whole.wait(timeout=300) == 0
        world.state["seconds"] = time.monotonic() - started
        world.state["whole"] = self._read(outs / "out-whole")

    def _ledger(self) -> list[dict[str, Any]]:
        return numbered_lines("s", 100, 3)

    def args(self, world: World, number: int) -> list[str]:
        out = world.state["outs"] / (f"out-{number}" if number >= 0 else "out-whole")
        contacts, campaign = world.state["contacts"], world.state["campaign"]
        return ["scrub", str(contacts), "--campaign", str(campaign), "--out", str(out)]

    def moment(self, world: World) -> dict[str, Any]:
        # Killed while it writes its outputs (its staging folder there) or just after.
        outs = world.state["outs"]
        return {"marker": lambda: hidden_work(outs), "wait": world.state["seconds"] * 1.2}

    def _read(self, out: Path) -> dict[str, bytes]:
        files = {p.name: p.read_bytes() for p in out.iterdir()}
        assert set(files) >= OUTPUTS, f"{out} looks like an output but holds {sorted(files)}"
        return {name: files[name] for name in ("allowed.csv", "blocked.csv", "rejected.csv")}

    def after_kill(self, world: World, round_: Killed) -> None:
        out = world.state["outs"] / f"out-{round_.number}"
        if out.exists():  # an output under its own name is complete, and the same
            assert self._read(out) == world.state["whole"]
        else:
            assert round_.killed
        writing = any(world.state["outs"].glob(f".{out.name}.partial-*"))
        where = "after the rename" if out.exists() else "while writing" if writing else "before"
        world.tally(f"killed {where}", round_.killed)
        for left in world.state["outs"].iterdir():
            # A killed run's work stays hidden (.out-N.partial-…, .spill-…) for its next run
            # to remove; whatever bears an output's name is a whole output.
            if not left.name.startswith("."):
                assert self._read(left) == world.state["whole"]

    def finish(self, world: World) -> None:
        world.run(*self.args(world, 999))
        assert self._read(world.state["outs"] / "out-999") == world.state["whole"]


class RotateKeys(Operation):
    """`licite ledger rotate-keys` (re-wraps every person's key under a new epoch key)."""

    name = "rotate-keys"
    people = 30

    def prepare(self, world: World) -> None:
        help_text = licite(["ledger", "--help"], world.env).stdout
        if "rotate-keys" not in help_text:
            pytest.skip("`licite ledger rotate-keys` is not built on this branch yet")
        world.run("ledger", "import", str(write_lines(world.tmp / "r.jsonl", self._lines())))
        for number in range(0, self.people, 3):
            world.run("ledger", "erase", "--person", f"r{number}")
        started = time.monotonic()
        world.run("ledger", "rotate-keys")
        world.state["seconds"] = time.monotonic() - started

    def _lines(self) -> list[dict[str, Any]]:
        return numbered_lines("r", self.people, 2)

    def args(self, world: World, number: int) -> list[str]:
        return ["ledger", "rotate-keys"]

    def moment(self, world: World) -> dict[str, Any]:
        return {"wait": world.state["seconds"] * 1.1}

    def after_kill(self, world: World, round_: Killed) -> None:
        with open_ledger(world.url, world.tmp) as ledger:
            for number in range(self.people):
                person = ledger.person(f"r{number}")
                expected = None if number % 3 == 0 else f"r{number}@example.fr"
                assert person.email == expected, (round_.number, number)

    def finish(self, world: World) -> None:
        world.run("ledger", "rotate-keys")
        self.after_kill(world, Killed(-1, "", False, 0))


class FirstRun(Operation):
    """The first command on a new ledger creates its keys and its schema: killed then,
    the next run must find whole keys or none (an empty key file refused every run)."""

    name = "first-run"
    stores = ("sqlite",)

    def prepare(self, world: World) -> None:
        world.state["empty"] = write_lines(world.tmp / "empty.jsonl", [])
        world.state["keys"] = world.tmp / "keys"

    def args(self, world: World, number: int) -> list[str]:
        # Each round starts from nothing: no keys, no database.
        shutil.rmtree(world.state["keys"], ignore_errors=True)
        for part in world.tmp.glob("ledger.db*"):
            part.unlink()
        return ["ledger", "import", str(world.state["empty"])]

    def moment(self, world: World) -> dict[str, Any]:
        keys: Path = world.state["keys"]  # killed as soon as its first key file appears

        def files() -> list[str]:
            return sorted(p.name for p in keys.iterdir()) if keys.exists() else []

        return {"marker": files, "wait": 0.001}

    def after_kill(self, world: World, round_: Killed) -> None:
        keys: Path = world.state["keys"]
        made = sorted(p.name for p in keys.glob("*.key")) if keys.exists() else []
        world.tally(f"killed with {len(made)} key(s) made", round_.killed)
        for key in keys.glob("*.key"):
            assert len(key.read_text().strip()) == 64, f"{key.name} left cut short"
        world.verifies()  # the next run opens it, making what is missing


OPERATIONS = (Import(), Erase(), Scrub(), RotateKeys(), FirstRun())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("operation", "backend"),
    [
        pytest.param(op, backend, id=f"{op.name}-{backend}")
        for op in OPERATIONS
        for backend in op.stores
    ],
)
def test_sigkill_loses_nothing(operation: Operation, backend: str, tmp_path: Path) -> None:
    with store_url(backend, tmp_path) as url, ExitStack() as resources:
        name = ""
        if backend == "postgresql":
            name = f"licite-faults-{uuid.uuid4().hex[:12]}"
            url = f"{url}{'&' if '?' in url else '?'}application_name={name}"
        world = World(tmp_path, url, {**os.environ, **environ(url, tmp_path)}, resources)
        world.name = name
        operation.prepare(world)

        def check(round_: Killed) -> None:
            operation.after_kill(world, round_)
            world.verifies()

        tally = kill_rounds(
            lambda number: operation.args(world, number),
            world.env,
            check,
            kills=KILLS,
            seed=sum(map(ord, operation.name + backend)),
            **operation.moment(world),
        )
        assert tally.kills >= KILLS
        print(f"{operation.name} on {backend}: {tally.kills} kills,", world.state.get("tally"))
        operation.finish(world)
        final = licite(["ledger", "verify"], world.env)
        assert final.returncode == 0, final.stdout + final.stderr


KEY_INJECTIONS = {
    # strace kills the process at this system call: the instant a key is being written,
    # or made durable, or given its name.
    "write-to-the-key": ["-P", "{keys}/hmac.key", "-e", "trace=write", "-e", "inject=write"],
    "fsync": ["-e", "trace=fsync", "-e", "inject=fsync"],
    "link": ["-e", "trace=link,linkat", "-e", "inject=link,linkat"],
}


@pytest.mark.parametrize("at", sorted(KEY_INJECTIONS))
def test_a_kill_while_the_keys_are_made_leaves_them_whole_or_absent(
    tmp_path: Path, at: str
) -> None:
    """Killed exactly there (strace's fault injection), the first run leaves no key file
    that is empty or cut short: the next run works. Before, a kill between creating
    hmac.key and writing it left it empty, and every later run failed (exit 6)."""
    strace = shutil.which("strace")
    if strace is None:
        unavailable("strace is needed to kill a process at one system call")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    env = {**os.environ, **environ(url, tmp_path)}
    keys = tmp_path / "keys"
    empty = write_lines(tmp_path / "empty.jsonl", [])
    spec = [part.replace("{keys}", str(keys)) for part in KEY_INJECTIONS[at]]
    spec[-1] += ":signal=SIGKILL"
    killed = subprocess.run(
        [strace, "-f", "-qq", "-o", os.devnull, *spec, *COMMAND, "ledger", "import", str(empty)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if killed.returncode not in (0, -9, 128 + 9):
        unavailable(f"strace cannot inject here: {killed.stderr.strip()[-200:]}")
    for key in keys.glob("*.key"):
        assert len(key.read_text().strip()) == 64, f"{key.name} left empty or cut short"
    again = licite(["ledger", "import", str(empty)], env)
    assert again.returncode == 0, again.stderr
    assert licite(["ledger", "verify"], env).returncode == 0
