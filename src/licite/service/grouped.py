"""Many people's changes, one journal commit: how the person's routes keep up with a burst.

A mailbox provider sends one-click unsubscribes in bursts, each its own request, and an
SMS gateway its STOPs; each would be one journal commit, taken one after another under
the journal's lock, so on PostgreSQL a ledger would record only as many as it can commit
a second. Here a process commits one group at a time: a request that arrives while no
group is being committed commits at once (after `window`, 0 by default), taking with it
every request waiting; the requests that arrive while a group is being committed wait for
it, and the first of them then commits them all together — one transaction. Each request
returns once its own writes are committed. Under a light load nothing waits; under a
heavy one, the more requests arrive during a commit, the more the next one takes.

If a group's commit is refused (a person erased in the meantime, a message already
received), each of its requests is committed alone, so one refusal refuses only its own
request, as without grouping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from licite.errors import LiciteError
from licite.ledger.ledger import Ledger
from licite.service.writes import append

WINDOW = 0.0
"""Seconds the request that starts a group waits for others (a test widens it): none by
default, as the requests that arrive during a commit make the next group."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class _Waiting(Generic[T, R]):
    item: T
    done: bool = False
    result: R | None = None
    error: Exception | None = None


class Group(Generic[T, R]):
    """Items committed together by `commit(ledger, items)`, which returns each one's result
    in order; an exception of `alone_on` from a group makes each item committed alone."""

    def __init__(
        self,
        commit: Callable[[Ledger, list[T]], list[R]],
        window: float = WINDOW,
        alone_on: tuple[type[Exception], ...] = (LiciteError,),
    ) -> None:
        self.window = window
        self._commit_all = commit
        self._alone_on = alone_on
        self._changed = threading.Condition(threading.Lock())
        self._pending: list[_Waiting[T, R]] = []
        self._committing = False

    def submit(self, ledger: Callable[[], Ledger], item: T) -> R:
        """Commit `item` with the others waiting; its result, or its own error raised."""
        mine: _Waiting[T, R] = _Waiting(item)
        with self._changed:
            self._pending.append(mine)
            while self._committing and not mine.done:
                self._changed.wait()
            lead = not mine.done
            if lead:
                self._committing = True
        if lead:
            try:
                if self.window:
                    time.sleep(self.window)
                with self._changed:
                    batch, self._pending = self._pending, []
                self._commit(ledger, batch)
            finally:
                with self._changed:
                    self._committing = False
                    self._changed.notify_all()
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]

    def _commit(self, ledger: Callable[[], Ledger], batch: list[_Waiting[T, R]]) -> None:
        """Every request of the batch is told its outcome: committed, or its own error."""
        try:
            opened = ledger()
            try:
                results = self._commit_all(opened, [waiting.item for waiting in batch])
                for waiting, result in zip(batch, results, strict=True):
                    waiting.result = result
            except self._alone_on as refused:
                if len(batch) == 1:
                    raise refused from None
                for waiting in batch:
                    try:
                        waiting.result = self._commit_all(opened, [waiting.item])[0]
                    except Exception as error:
                        waiting.error = error
        except Exception as error:
            for waiting in batch:
                waiting.error = error
        finally:
            for waiting in batch:
                waiting.done = True


class Grouped(Group[list[dict[str, Any]], None]):
    """People's event lines (those of `POST /v1/events`), each request's whole or not at all."""

    def __init__(self, window: float = WINDOW) -> None:
        super().__init__(_append_all, window)

    def append(self, ledger: Callable[[], Ledger], lines: list[dict[str, Any]]) -> None:
        """Append `lines`, whole, with others' if any."""
        self.submit(ledger, lines)


def _append_all(ledger: Ledger, requests: list[list[dict[str, Any]]]) -> list[None]:
    lines = [line for request in requests for line in request]
    append(ledger, lines, key_id="person-link", idempotency_key=None, kind="events")
    return [None] * len(requests)
