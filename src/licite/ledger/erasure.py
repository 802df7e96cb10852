"""Erasure (GDPR art. 17, and the purge at the end of a retention period).

The person's key is destroyed, so their sealed data (email, phone, postal
code, consent evidence) can never be read again, while every ciphertext stays
and the chain still verifies. Their email and phone hashes are kept as
suppression records, and an objection (all channels, all senders) is
appended, so the existing rules keep blocking contact (OBJECTED) and still
justify keeping the hash (SUPPRESSION-RECORD): CNIL référentiel "gestion des
activités commerciales" — keep only what is needed to honour the objection.
"""

from __future__ import annotations

from datetime import datetime

from licite.case import Objection
from licite.i18n import Text
from licite.ledger.errors import LedgerError
from licite.ledger.events import new_event
from licite.ledger.journal import Batch
from licite.ledger.ledger import Ledger
from licite.ledger.rows import micros
from licite.ledger.store import Transaction
from licite.moments import PARIS
from licite.vocabulary import ChannelOrAll, Via


def erase(ledger: Ledger, person_id: str, at: datetime | None = None) -> datetime:
    """Erase one person; returns the moment of the erasure."""
    person = ledger.person(person_id)
    if person.erased_at_us is not None:
        raise LedgerError(
            Text(
                f"la personne {person_id!r} est déjà effacée",
                f"person {person_id!r} is already erased",
            )
        )
    moment = at or datetime.now(PARIS)
    at_us = micros(moment)
    objection = Objection(
        at=moment, type="objection", channel=ChannelOrAll.ALL, sender="all", via=Via.FORM
    )
    hashes = [
        (h, kind) for h, kind in ((person.email_hash, "email"), (person.phone_hash, "phone")) if h
    ]

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

    batch = Batch(events=[new_event(ledger.keys, person_id, objection)], also=[destroy])
    ledger.journal.commit(batch)
    return moment
