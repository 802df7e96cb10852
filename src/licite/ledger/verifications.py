"""What each `licite ledger verify` found, kept for the DPO's dashboard (schema v11).

`verify` only reads; this one row is the exception, written after the walk in its own
transaction. A ledger that cannot be written (a read-only replica, a read-only file) is
still verified: the row is skipped and the command says so.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from licite.i18n import Text
from licite.ledger.ledger import Ledger
from licite.ledger.schema import VERIFICATIONS

FAULT_MAX = 500
"""The first fault's text as kept: enough to name the record, never a whole dump."""


@dataclass(frozen=True, slots=True)
class Verification:
    at_us: int
    intact: bool
    events: int
    witnessed: bool
    fault: Text | None


def record_verification(
    ledger: Ledger, *, intact: bool, events: int, witnessed: bool, fault: Text | None = None
) -> None:
    if ledger.journal.schema < VERIFICATIONS:
        return
    kept = (
        json.dumps({"fr": fault.fr[:FAULT_MAX], "en": fault.en[:FAULT_MAX]}, ensure_ascii=False)
        if fault is not None
        else None
    )
    row = (time.time_ns() // 1000, intact, events, witnessed, kept)
    with ledger.store.write() as tx:
        tx.execute(
            "INSERT INTO verifications (at_us, intact, events, witnessed, fault)"
            " VALUES (?, ?, ?, ?, ?)",
            row,
        )


def latest_verification(ledger: Ledger) -> Verification | None:
    if ledger.journal.schema < VERIFICATIONS:
        return None
    rows = ledger.store.read(
        "SELECT at_us, intact, events, witnessed, fault FROM verifications"
        " ORDER BY at_us DESC LIMIT 1"
    )
    if not rows:
        return None
    at_us, intact, events, witnessed, fault = rows[0]
    text = None
    if fault is not None:
        texts = json.loads(fault)
        text = Text(str(texts["fr"]), str(texts["en"]))
    return Verification(int(at_us), bool(intact), int(events), bool(witnessed), text)
