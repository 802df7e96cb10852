"""Many people's changes, one journal commit: how the person's routes keep up with a burst.

A mailbox provider sends one-click unsubscribes in bursts, each its own request; each
would be one journal commit, taken one after another under the journal's lock, so on
PostgreSQL a ledger would record only as many as it can commit a second. Here the first
request to arrive waits a moment (`WINDOW`), takes every request that arrived meanwhile,
and appends all their lines in one `writes.append` — one transaction; each request
returns once its lines are committed. If that batch is refused (a person erased in the
meantime), each request's lines are appended alone, so one refusal refuses only its own
request, as without grouping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from licite.errors import LiciteError
from licite.ledger.ledger import Ledger
from licite.service.writes import append

WINDOW = 0.002
"""Seconds the first request waits for others: a fraction of one commit's time."""


@dataclass(slots=True)
class _Waiting:
    lines: list[dict[str, Any]]
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None


class Grouped:
    def __init__(self, window: float = WINDOW) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._pending: list[_Waiting] = []
        self._leading = False

    def append(self, ledger: Callable[[], Ledger], lines: list[dict[str, Any]]) -> None:
        """Append `lines` (event lines of `POST /v1/events`), whole, with others' if any."""
        mine = _Waiting(lines)
        with self._lock:
            self._pending.append(mine)
            lead, self._leading = not self._leading, True
        if lead:
            time.sleep(self.window)
            with self._lock:
                batch, self._pending, self._leading = self._pending, [], False
            _commit(ledger(), batch)
        else:
            mine.done.wait()
        if mine.error is not None:
            raise mine.error


def _commit(ledger: Ledger, batch: list[_Waiting]) -> None:
    """Every request of the batch is told its outcome: committed, or its own error."""
    try:
        _append(ledger, [line for waiting in batch for line in waiting.lines])
    except LiciteError:
        for waiting in batch:
            try:
                _append(ledger, waiting.lines)
            except Exception as error:
                waiting.error = error
    except Exception as error:
        for waiting in batch:
            waiting.error = error
    finally:
        for waiting in batch:
            waiting.done.set()


def _append(ledger: Ledger, lines: list[dict[str, Any]]) -> None:
    append(ledger, lines, key_id="person-link", idempotency_key=None, kind="events")
