"""Erasure (GDPR art. 17, and the purge at the end of a retention period).

The person's key is destroyed, so their sealed data (email, phone, postal
code, consent evidence) can never be read again, while every ciphertext stays
and the chain still verifies. Their email and phone hashes are kept as
suppression records, and an objection (all channels, all senders) is
appended, so the existing rules keep blocking contact (OBJECTED) and still
justify keeping the hash (SUPPRESSION-RECORD): CNIL référentiel "gestion des
activités commerciales" — keep only what is needed to honour the objection.

The deleted key row must not outlive the erasure where it can still be opened:
SQLite zeroes deleted rows (`secure_delete`) and the write-ahead log is emptied
after the commit; every copy that survives anyway (PostgreSQL dead tuples and
WAL, backups, dumps) is wrapped by the current epoch key, which the next
`licite ledger rotate-keys` destroys (`rotate=True` does it at once; see
`licite.ledger.epochs` and docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from licite.case import Objection
from licite.errors import LedgerError
from licite.i18n import Text
from licite.ledger.epochs import Rotated
from licite.ledger.events import new_event
from licite.ledger.journal import Batch
from licite.ledger.ledger import Ledger
from licite.ledger.schema import EPOCHS
from licite.ledger.store import Transaction
from licite.moments import PARIS, micros
from licite.vocabulary import ChannelOrAll, Via


def erase(
    ledger: Ledger,
    person_id: str,
    at: datetime | None = None,
    *,
    rotate: bool = False,
    also: Sequence[Callable[[Transaction], None]] = (),
) -> datetime:
    """Erase one person; returns the moment of the erasure. With `rotate`, every other
    person key is then wrapped under a new epoch key and the old one destroyed. `also`
    writes in the erasure's own transaction (a retention run's record of it)."""
    moment = erase_many(ledger, [person_id], at, also=also)
    if rotate:
        rotate_keys(ledger)
    return moment


def erase_many(
    ledger: Ledger,
    person_ids: Sequence[str],
    at: datetime | None = None,
    *,
    also: Sequence[Callable[[Transaction], None]] = (),
) -> datetime:
    """Erase several people in one transaction, each exactly as `erase` does: a retention
    run pays one commit, and one summary of the erasure marks (`state.py`, a pass over
    every erased person), for many erasures instead of one each. All or none."""
    moment = at or datetime.now(PARIS)
    at_us = micros(moment)
    objection = Objection(
        at=moment, type="objection", channel=ChannelOrAll.ALL, sender="all", via=Via.FORM
    )
    events, writes = [], []
    for person_id in dict.fromkeys(person_ids):
        person = ledger.person(person_id)
        if person.erased_at_us is not None:
            raise LedgerError(
                Text(
                    f"la personne {person_id!r} est déjà effacée",
                    f"person {person_id!r} is already erased",
                )
            )
        events.append(new_event(ledger.keys, person_id, objection))
        writes.append(_destroy(ledger, person_id, person.email_hash, person.phone_hash, at_us))
    ledger.journal.commit(Batch(events=events, also=[*writes, *also]))
    ledger.store.forget()
    return moment


def _destroy(
    ledger: Ledger, person_id: str, email_hash: str | None, phone_hash: str | None, at_us: int
) -> Callable[[Transaction], None]:
    hashes = [(h, kind) for h, kind in ((email_hash, "email"), (phone_hash, "phone")) if h]

    def destroy(tx: Transaction) -> None:
        tx.execute("DELETE FROM person_keys WHERE person_id = ?", (person_id,))
        tx.execute(
            "UPDATE persons SET erased_at_us = ?, fingerprint = NULL WHERE id = ?",
            (at_us, person_id),
        )
        tx.insert(
            "suppressions",
            ("hash", "kind", "person_id", "at_us"),
            [(h, kind, person_id, at_us) for h, kind in hashes],
        )
        if ledger.epochs.schema >= EPOCHS:  # `rotate-keys --if-erased` reads it
            tx.execute(
                "UPDATE epochs SET erasures = erasures + 1 WHERE id = (SELECT MAX(id) FROM epochs)"
            )

    return destroy


def rotate_keys(ledger: Ledger) -> Rotated:
    """`licite ledger rotate-keys`: a new epoch key, the old one destroyed, and the
    write-ahead log emptied of pages wrapped under it."""
    rotated = ledger.epochs.rotate()
    ledger.store.forget()
    return rotated


def erased_since_rotation(ledger: Ledger) -> int:
    """Erasures since the current epoch began (`rotate-keys --if-erased`)."""
    if ledger.epochs.schema < EPOCHS:
        return 0
    rows = ledger.store.read("SELECT erasures FROM epochs ORDER BY id DESC LIMIT 1")
    return int(rows[0][0]) if rows else 0
