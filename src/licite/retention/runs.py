"""`licite retention run`: apply the plan, erase, and keep the record of the run.

Each erasure is the ledger's own (`licite.ledger.erasure.erase_many`: the key
destroyed, the suppression hashes and an objection kept), up to `erase_batch` people a
transaction, with the run's record of each (`retention_erasures`: person id, code,
senders, the clock's start and end) in that same transaction: a run killed at any
point leaves whole erasures, each recorded, and the
next run, which never sees an erased person again, finishes the work and erases no one
twice. Every person is decided before anyone is erased, so the run erases exactly
whom a dry run at the same moment names. A run's row (`retention_runs`) is written
when it starts and stamped when it ends; the report of a run also shows the erasures
of the unfinished runs before it.

`dry_run` writes nothing at all and answers with the same verdicts.

One run at a time on a ledger (`one_run`): a second one, while the first decides or
erases, stops before deciding anything (`RunInProgress`, exit 75) rather than erase
alongside it. The lock is the kernel's — a PostgreSQL session advisory lock, or an
`flock` on `<ledger file>.retention-lock` for SQLite — so it goes with the process that
held it, SIGKILL included: no stale lock for the next run to clear. A dry run writes
nothing and takes no lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from licite.errors import LedgerError, RunInProgress
from licite.i18n import Text
from licite.ledger.erasure import erase_many
from licite.ledger.journal import Batch
from licite.ledger.ledger import Ledger
from licite.ledger.store import Transaction
from licite.moments import micros
from licite.retention.plan import SUPPRESSION, Plan, Verdict


@dataclass(frozen=True, slots=True)
class Erased:
    """One erasure a run made (or, dry, would make)."""

    person: str
    code: str
    senders: tuple[str, ...]
    clock_start: datetime | None
    clock_end: datetime | None
    erased_at: datetime | None
    run_id: int | None


@dataclass(slots=True)
class RunResult:
    at: datetime
    sender: str | None
    dry_run: bool
    run_id: int | None = None
    decided: int = 0
    erased: list[Erased] = field(default_factory=list)
    resumed: list[Erased] = field(default_factory=list)
    """Erasures of the unfinished runs this one completes."""
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(sender, code) → people: every answer of the run."""
    suppression_only: list[Verdict] = field(default_factory=list)
    due: list[tuple[str, str, datetime]] = field(default_factory=list)
    """(person, sender, end of the clock) within the report's window."""
    undecided: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0


Progress = Callable[[int, int], None]


ERASE_BATCH = 200
"""Erasures a transaction: each commit summarises every erased person again (`state.py`),
so one commit for each erasure would make a large run quadratic."""


def run_retention(
    ledger: Ledger,
    at: datetime,
    *,
    sender: str | None = None,
    dry_run: bool = False,
    due_within_days: int = 90,
    progress: Progress | None = None,
    workers: int = 1,
    environ: Mapping[str, str] | None = None,
    erase_batch: int = ERASE_BATCH,
    reduce_suppression: bool = False,
) -> RunResult:
    """Decide `retain` for everyone (of `sender`) at `at`; erase whom no sender may keep.

    `reduce_suppression`: also erase the people kept only for a recent objection
    (SUPPRESSION-RECORD for every sender that is not past its clock): the erasure keeps
    exactly their address and number hashes and an objection, which is what honouring
    the objection needs (CNIL référentiel « gestion des activités commerciales »)."""
    if not dry_run:
        with one_run(ledger):
            return _run(ledger, at, sender, False, due_within_days, progress, workers,
                        environ, erase_batch, reduce_suppression)  # fmt: skip
    return _run(ledger, at, sender, True, due_within_days, progress, workers, environ,
                erase_batch, reduce_suppression)  # fmt: skip


def _run(
    ledger: Ledger,
    at: datetime,
    sender: str | None,
    dry_run: bool,
    due_within_days: int,
    progress: Progress | None,
    workers: int,
    environ: Mapping[str, str] | None,
    erase_batch: int,
    reduce_suppression: bool,
) -> RunResult:
    started = time.monotonic()
    plan = Plan(ledger, at, sender)
    result = RunResult(at, sender, dry_run)
    if not dry_run:
        result.run_id = _start(ledger, at, sender)
        result.resumed = _unfinished_before(ledger, result.run_id)
    horizon = at + timedelta(days=due_within_days)
    planned: list[Erased] = []
    for verdict in plan.verdicts(workers, environ):
        result.decided += 1
        for answer in verdict.answers:
            result.counts[(answer.sender, answer.code)] += 1
            ends = answer.expires_at
            if answer.code == "WITHIN-RETENTION" and ends is not None and ends < horizon:
                result.due.append((verdict.person, answer.sender, ends))
        if verdict.erase:
            planned.append(_planned(verdict, result.run_id))
        elif verdict.suppression_only:
            result.suppression_only.append(verdict)
            if reduce_suppression:
                planned.append(_reduced(verdict, result.run_id))
        elif verdict.code == "UNDECIDED":
            result.undecided.append(verdict)
        if progress is not None:
            progress(result.decided, 0)
    # Every answer is taken before the first erasure: an erasure leaves the person's
    # hashes as suppression records, which read as an objection for every other record
    # with the same address or number, and would change their answer mid-run.
    if dry_run:
        result.erased = planned
    for first in range(0, 0 if dry_run else len(planned), erase_batch):
        result.erased += _erase(ledger, planned[first : first + erase_batch])
        if progress is not None:
            progress(result.decided, len(result.erased))
    if not dry_run and result.run_id is not None:
        _finish(ledger, result)
    result.due.sort(key=lambda d: (d[2], d[0], d[1]))
    result.seconds = time.monotonic() - started
    return result


_ADVISORY = 7365426
"""The advisory lock's first key ("licite" retention); the second is the ledger's schema."""


@contextmanager
def one_run(ledger: Ledger) -> Iterator[None]:
    """Hold the ledger's retention-run lock, or raise `RunInProgress` at once."""
    location = ledger.location
    if location.dialect == "postgresql":
        lock = f"({_ADVISORY}, hashtext(current_schema()))"
        if not ledger.store.read(f"SELECT pg_try_advisory_lock{lock}")[0][0]:
            raise _in_progress(Text("verrou consultatif PostgreSQL", "PostgreSQL advisory lock"))
        try:
            yield
        finally:
            ledger.store.read(f"SELECT pg_advisory_unlock{lock}")
        return
    if location.in_memory:  # no other process can open it
        yield
        return
    path = f"{location.path}.retention-lock"
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise LedgerError(
            Text(
                f"retention run : verrou {path} impossible à créer ({error.strerror})",
                f"retention run: cannot create the lock {path} ({error.strerror})",
            )
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _in_progress(Text(f"verrou {path}", f"lock {path}")) from None
        yield
    finally:
        os.close(descriptor)  # the lock goes with it


def _in_progress(lock: Text) -> RunInProgress:
    return RunInProgress(
        Text(
            f"retention run : un autre passage est déjà en cours sur ce registre ({lock.fr}) ;"
            " rien n'a été examiné ni effacé — réessayez quand il sera terminé",
            f"retention run: another run is already under way on this ledger ({lock.en});"
            " nothing was examined or erased — try again when it has finished",
        )
    )


def _planned(verdict: Verdict, run_id: int | None) -> Erased:
    first = verdict.answers[0]
    senders = tuple(a.sender for a in verdict.answers)
    return Erased(
        verdict.person, first.code, senders, first.clock_start, first.clock_end, None, run_id
    )


def _reduced(verdict: Verdict, run_id: int | None) -> Erased:
    senders = tuple(a.sender for a in verdict.answers)
    return Erased(verdict.person, SUPPRESSION, senders, None, None, None, run_id)


def _erase(ledger: Ledger, planned: list[Erased]) -> list[Erased]:
    """Erase `planned` in one transaction with the run's record of each; one by one when
    someone else (`ledger erase`) erased one of them meanwhile (not this run's then)."""
    now_us = time.time_ns() // 1000

    def record(tx: Transaction) -> None:
        tx.insert(
            "retention_erasures",
            ("person_id", "run_id", "code", "senders", "clock_start_us", "clock_end_us",
             "erased_at_us"),
            [
                (e.person, e.run_id, e.code, json.dumps(list(e.senders)),
                 None if e.clock_start is None else micros(e.clock_start),
                 None if e.clock_end is None else micros(e.clock_end), now_us)
                for e in planned
            ],
        )  # fmt: skip

    try:
        moment = erase_many(ledger, [e.person for e in planned], also=[record])
    except LedgerError:
        if len(planned) == 1:
            if ledger.person(planned[0].person).erased_at_us is None:
                raise
            return []
        return [done for e in planned for done in _erase(ledger, [e])]
    return [replace(e, erased_at=moment) for e in planned]


def _start(ledger: Ledger, at: datetime, sender: str | None) -> int:
    made: list[int] = []

    def insert(tx: Transaction) -> None:
        number = int(tx.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM retention_runs")[0][0])
        tx.execute(
            "INSERT INTO retention_runs (id, started_at_us, at_us, sender) VALUES (?, ?, ?, ?)",
            (number, time.time_ns() // 1000, micros(at), sender),
        )
        made.append(number)

    ledger.journal.commit(Batch(also=[insert]))
    return made[0]


def _finish(ledger: Ledger, result: RunResult) -> None:
    def stamp(tx: Transaction) -> None:
        tx.execute(
            "UPDATE retention_runs SET finished_at_us = ?, decided = ?, erased = ? WHERE id = ?",
            (time.time_ns() // 1000, result.decided, len(result.erased), result.run_id),
        )

    ledger.journal.commit(Batch(also=[stamp]))


def _unfinished_before(ledger: Ledger, run_id: int) -> list[Erased]:
    """The erasures of the unfinished runs since the last finished one before `run_id`."""
    rows = ledger.store.read(
        "SELECT e.person_id, e.code, e.senders, e.clock_start_us, e.clock_end_us,"
        " e.erased_at_us, e.run_id FROM retention_erasures e JOIN retention_runs r"
        " ON r.id = e.run_id WHERE r.finished_at_us IS NULL AND r.id < ? AND r.id > COALESCE("
        "(SELECT MAX(id) FROM retention_runs WHERE finished_at_us IS NOT NULL AND id < ?), 0)"
        " ORDER BY e.run_id, e.person_id",
        (run_id, run_id),
    )
    return [erased_from_row(r) for r in rows]


def erased_from_row(row: tuple[object, ...]) -> Erased:
    from licite.moments import moment_of_micros

    person, code, senders, start, end, at, run_id = row
    return Erased(
        str(person),
        str(code),
        tuple(json.loads(str(senders))),
        None if start is None else moment_of_micros(int(str(start))),
        None if end is None else moment_of_micros(int(str(end))),
        None if at is None else moment_of_micros(int(str(at))),
        int(str(run_id)),
    )
