"""The STOPs of the SMS webhook (`sms`), recorded many in one commit (`grouped.Group`).

Each inbound message is one `sms_inbound` row (its id, the keyed hash of its number) and,
for a STOP, an objection (channel sms, via stop_sms) of every person recorded with that
number, written in the same transaction: a message id already received records nothing
new, and is answered from its first reception.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from licite.case import Objection
from licite.errors import LiciteError
from licite.ledger.crypto import KeyedHasher
from licite.ledger.events import unsealed_event
from licite.ledger.journal import Batch, NewEvent
from licite.ledger.ledger import Ledger
from licite.ledger.proof import Proof
from licite.ledger.store import Transaction
from licite.service.grouped import WINDOW, Group
from licite.vocabulary import ChannelOrAll, Via


@dataclass(frozen=True, slots=True)
class Message:
    """An inbound message as licite keeps it: never the number, only its keyed hash."""

    message_id: str
    phone_hash: str
    stop: bool
    sender: str
    at: datetime


def record_messages(ledger: Ledger, messages: list[Message]) -> list[dict[str, Any]]:
    """Messages in one commit: the objections of the people with each STOP's number, and one
    `sms_inbound` row a message. A message id received already (or twice here) refuses the
    group (`_Redelivered`): its messages are then recorded one by one (`grouped.Group`),
    and a lone one received already is answered from its first reception."""
    owners = _persons(ledger, sorted({m.phone_hash for m in messages if m.stop}))
    hasher = KeyedHasher(ledger.keys.hmac)
    events: list[NewEvent] = []
    counts: list[int] = []
    rows: list[tuple[Any, ...]] = []
    now = time.time_ns() // 1000
    for message in messages:
        persons = owners.get(message.phone_hash, []) if message.stop else []
        digest = hashlib.sha256(message.message_id.encode()).hexdigest()[:16]
        proof = Proof(form=f"/v1/sms/inbound · message {digest}", recorded_by="licite serve sms")
        objection = Objection(
            at=message.at,
            type="objection",
            channel=ChannelOrAll.SMS,
            sender=message.sender,
            via=Via.STOP_SMS,
        )
        # No evidence (no IP, no user agent): nothing to seal with the person's key.
        events.extend(unsealed_event(hasher, person, objection, proof)[0] for person in persons)
        counts.append(len(persons))
        m = message
        rows.append((m.message_id, m.phone_hash, m.sender, m.stop, len(persons), now))
    ids = [m.message_id for m in messages]

    def claim(tx: Transaction) -> None:
        if len(set(ids)) != len(ids) or any(
            tx.where_in("SELECT message_id FROM sms_inbound", "message_id", ids)
        ):
            raise _Redelivered
        tx.insert("sms_inbound", _INBOUND_COLUMNS, rows)

    try:
        ledger.journal.commit(Batch(events=events, also=[claim]))
    except _Redelivered:
        if len(messages) > 1:
            raise
        return [{"message_id": ids[0], "redelivered": True, **_earlier(ledger, ids[0])}]
    return [
        {"message_id": m.message_id, "redelivered": False, "stop": m.stop, "persons": count}
        for m, count in zip(messages, counts, strict=True)
    ]


_INBOUND_COLUMNS = ("message_id", "phone_hash", "sender", "stop", "persons", "received_at_us")


class _Redelivered(Exception):
    """A message id was already received: undo, answer from the first reception."""


def messages_group(window: float = WINDOW) -> Group[Message, dict[str, Any]]:
    return Group(record_messages, window, alone_on=(LiciteError, _Redelivered))


def _persons(ledger: Ledger, phone_hashes: list[str]) -> dict[str, list[str]]:
    """The people recorded with each of these numbers (by hash), not erased, in their order."""
    if not phone_hashes:
        return {}
    marks = ",".join("?" * len(phone_hashes))
    rows = ledger.store.read(
        f"SELECT phone_hash, id FROM persons WHERE phone_hash IN ({marks})"
        " AND erased_at_us IS NULL ORDER BY seq",
        phone_hashes,
    )
    found: dict[str, list[str]] = {}
    for phone_hash, person in rows:
        found.setdefault(phone_hash, []).append(person)
    return found


def _earlier(ledger: Ledger, message_id: str) -> dict[str, Any]:
    rows = ledger.store.read(
        "SELECT stop, persons FROM sms_inbound WHERE message_id = ?", (message_id,)
    )
    return {"stop": bool(rows[0][0]), "persons": int(rows[0][1])}
