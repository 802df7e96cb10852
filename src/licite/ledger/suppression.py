"""Opposition lists (Bloctel, C. consom. L223-1), imported as keyed phone hashes.

The list arrives as phone numbers, one a line, in any common format; each is
normalized to E.164 and kept only as its HMAC, with the import's date: what
the sender held at that date is what a decision at a later moment may rely on
(R. 223-6: the list must be cleaned against the opposition list at least
every month).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from licite.i18n import Text
from licite.ledger.crypto import keyed_hash
from licite.ledger.journal import Batch
from licite.ledger.ledger import Ledger
from licite.ledger.store import Transaction
from licite.moments import micros
from licite.phones import normalize_phone

LISTS = ("bloctel",)


@dataclass(slots=True)
class ListImport:
    imported: int = 0
    rejected: list[tuple[int, Text]] = field(default_factory=list)


def import_list(ledger: Ledger, name: str, lines: Iterable[str], at: datetime) -> ListImport:
    """Record one reception of an opposition list, dated `at`; unreadable lines are reported."""
    report = ListImport()
    hashes: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        phone = normalize_phone(text)
        if phone is None:
            report.rejected.append((number, _bad_number(text)))
            continue
        hashes.add(keyed_hash(ledger.keys.hmac, phone))
    report.imported = len(hashes)
    at_us = micros(at)

    def write(tx: Transaction) -> None:
        import_id = tx.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM suppression_imports")[0][0]
        tx.execute(
            "INSERT INTO suppression_imports (id, list, imported_at_us, count, recorded_at_us)"
            " VALUES (?, ?, ?, ?, ?)",
            (import_id, name, at_us, len(hashes), micros(datetime.now().astimezone())),
        )
        tx.insert(
            "suppression_entries",
            ("import_id", "phone_hash"),
            ((import_id, h) for h in sorted(hashes)),
        )

    ledger.journal.commit(Batch(also=[write]))
    return report


def _bad_number(text: str) -> Text:
    shown = text if len(text) <= 40 else text[:37] + "…"
    return Text(
        f"numéro de téléphone illisible (valeur reçue : {shown!r})",
        f"not a phone number (got {shown!r})",
    )


def latest_import(ledger: Ledger, name: str, at_us: int) -> tuple[int, int] | None:
    """(id, imported_at_us) of the last reception of the list at or before `at_us`."""
    rows = ledger.store.read(
        "SELECT id, imported_at_us FROM suppression_imports WHERE list = ? AND imported_at_us <= ?"
        " ORDER BY imported_at_us DESC, id DESC LIMIT 1",
        (name, at_us),
    )
    return (rows[0][0], rows[0][1]) if rows else None


def ever_listed(ledger: Ledger, name: str, phone_hash: str, at_us: int) -> bool:
    """Whether the number was on any reception of the list at or before `at_us`."""
    rows = ledger.store.read(
        "SELECT 1 FROM suppression_entries e JOIN suppression_imports i ON i.id = e.import_id"
        " WHERE i.list = ? AND i.imported_at_us <= ? AND e.phone_hash = ? LIMIT 1",
        (name, at_us, phone_hash),
    )
    return bool(rows)


def listed(ledger: Ledger, import_id: int, phone_hash: str) -> bool:
    rows = ledger.store.read(
        "SELECT 1 FROM suppression_entries WHERE import_id = ? AND phone_hash = ?",
        (import_id, phone_hash),
    )
    return bool(rows)
