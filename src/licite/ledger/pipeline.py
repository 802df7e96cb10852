"""A large import prepares its next batches in a helper process while it commits.

Parsing, validating and hashing a line (`licite.ledger.prepare`) costs about as
much as appending it, and needs nothing from the database; only the chain's
links need the journal's lock. So a large import hands batches to a helper
process, commits the prepared batches itself in file order through the journal
— still the one place that writes — and, rather than wait for the helper,
prepares the following batches itself. The helper is spawned (never a fork of a
live database connection) and never opens the ledger; it stops when the
importer does, even one killed with SIGKILL: its pipe closes.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import threading
import traceback
from collections import deque
from collections.abc import Generator, Iterator
from multiprocessing.connection import Connection

from licite.errors import LedgerError
from licite.i18n import Text
from licite.ledger.config import Keys
from licite.ledger.prepare import Item, Prepared, Preparer

PIPELINE_FROM = 4 << 20
"""Files smaller than this (bytes) are prepared by the importer alone: starting a
helper takes about half a second."""
_AHEAD = 4
"""Batches a helper holds: one it prepares, the next already waiting."""
_HELD = 6
"""At most this many batches read and not yet committed (memory)."""

RawBatch = tuple[list[Item], int]
"""A batch's lines as read, and the number of its last line."""


def helpers_for(size: int) -> int:
    """How many helper processes an import of `size` bytes gets: one per spare core, up
    to three (the importer itself commits and prepares too)."""
    if size < PIPELINE_FROM:
        return 0
    return max(0, min(3, (os.cpu_count() or 1) - 1))


def prepared_batches(
    batches: Iterator[RawBatch], preparer: Preparer, keys: Keys, helpers: int
) -> Generator[Prepared, None, None]:
    """The batches, prepared, in file order; `helpers` processes share the work."""
    started = [_Helper(keys) for _ in range(helpers)]
    held: deque[tuple[_Helper | None, Prepared | None]] = deque()
    unread = True
    try:
        while True:
            for helper in started:
                while unread and helper.ready() and helper.holds < _AHEAD:
                    batch = next(batches, None)
                    if batch is None:
                        unread = False
                    else:
                        helper.send(batch)
                        held.append((helper, None))
            owner, prepared = held[0] if held else (None, None)
            if owner is not None and unread and len(held) < _HELD and not owner.done():
                # Rather than wait for the helper, prepare a later batch here.
                batch = next(batches, None)
                if batch is None:
                    unread = False
                else:
                    held.append((None, preparer(*batch)))
                continue
            if held:
                held.popleft()
                yield owner.receive() if owner is not None else _present(prepared)
                continue
            batch = next(batches, None) if unread else None
            if batch is None:
                return
            yield preparer(*batch)
    finally:
        for helper in started:
            helper.stop()


def _present(prepared: Prepared | None) -> Prepared:
    assert prepared is not None
    return prepared


class _Helper:
    def __init__(self, keys: Keys) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(theirs, keys), name="licite-import-helper", daemon=True
        )
        self._process.start()
        theirs.close()
        self._ready = False
        self.holds = 0

    def ready(self) -> bool:
        """Started and listening (it says so once, first thing)."""
        if not self._ready and self._connection.poll():
            self._receive()
            self._ready = True
        return self._ready

    def done(self) -> bool:
        """Its oldest batch is prepared."""
        return self._connection.poll()

    def send(self, batch: RawBatch) -> None:
        self._connection.send(batch)
        self.holds += 1

    def receive(self) -> Prepared:
        prepared = self._receive()
        self.holds -= 1
        if not isinstance(prepared, Prepared):
            raise _stopped(str(prepared))
        return prepared

    def _receive(self) -> object:
        try:
            return self._connection.recv()
        except (EOFError, OSError):
            raise _stopped(f"exit code {self._process.exitcode}") from None

    def stop(self) -> None:
        self._connection.close()  # its next read or write fails, and it returns
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _serve(connection: Connection, keys: Keys) -> None:
    """The helper: prepare each batch received, send it back, until the pipe closes.

    Batches are received and results sent by threads of their own, so that preparing
    never waits for the importer, busy committing, to read or to write."""
    gc.disable()  # short-lived acyclic objects only: reference counting frees them
    preparer = Preparer(keys)
    inbox: queue.SimpleQueue[RawBatch | None] = queue.SimpleQueue()
    outbox: queue.SimpleQueue[Prepared | str | None] = queue.SimpleQueue()
    threading.Thread(target=_receive_into, args=(connection, inbox), daemon=True).start()
    sender = threading.Thread(target=_send_from, args=(connection, outbox), daemon=True)
    sender.start()
    try:
        while (batch := inbox.get()) is not None:
            try:
                outbox.put(preparer(*batch))
            except Exception:  # a bug: the importer reports it and stops
                outbox.put(traceback.format_exc())
    except KeyboardInterrupt:
        pass
    outbox.put(None)
    sender.join()


def _receive_into(connection: Connection, inbox: queue.SimpleQueue[RawBatch | None]) -> None:
    try:
        while True:
            inbox.put(connection.recv())
    except (EOFError, OSError, KeyboardInterrupt):
        inbox.put(None)


def _send_from(connection: Connection, outbox: queue.SimpleQueue[Prepared | str | None]) -> None:
    try:
        connection.send(None)  # ready
        while (prepared := outbox.get()) is not None:
            connection.send(prepared)
    except (OSError, KeyboardInterrupt):
        return


def _stopped(detail: str) -> LedgerError:
    return LedgerError(
        Text(
            f"le processus auxiliaire de l'import s'est arrêté ({detail})",
            f"the import's helper process stopped ({detail})",
        )
    )
