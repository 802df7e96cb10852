"""Each recipient decided from the ledger at the moment of sending (CPCE L34-5, SPEC §2).

The address is normalized as a case file's is (`licite.case.Person`) and looked up by its
keyed hash, the ledger's lookup key: nothing is decrypted to find the person. Every
record with that address is decided through `decide_stored`, the computation of
`licite decide --person` and `POST /v1/people/{id}/decide`; the address goes out only when
every one of them allows it (an objection recorded on a duplicate record still counts).
An address the ledger does not know is decided as SPEC §2's unknown person: a consumer
with no history, whose keyed hash still meets the suppressions an erasure left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from licite.case import Campaign, Person
from licite.decision import Decision
from licite.ledger.crypto import keyed_hash
from licite.ledger.decide import decide_stored
from licite.ledger.ledger import Ledger
from licite.ledger.people import StoredPerson, person_select, read_person
from licite.vocabulary import PersonKind


@dataclass(frozen=True, slots=True)
class Decided:
    address: str
    """As given in RCPT TO, to relay to; never written to the ledger or the logs."""
    recipient_hash: str
    person_id: str | None
    """The ledger's person the unsubscribe link names; None for an unknown address."""
    decision: Decision


def normalized(address: str) -> str | None:
    """The address as the ledger hashes it, or None when it is not one."""
    try:
        person = Person(kind=PersonKind.CONSUMER, email=address)
    except ValidationError:
        return None
    return person.email


def decide_address(ledger: Ledger, address: str, campaign: Campaign, at: datetime) -> Decided:
    email = normalized(address)
    if email is None:
        raise ValueError("address")  # RCPT already refused it (handler.check_address)
    digest = keyed_hash(ledger.keys.hmac, email)
    rows = ledger.store.read(
        person_select(ledger.journal.schema)
        + " WHERE p.email_hash = ? AND p.erased_at_us IS NULL ORDER BY p.seq",
        (digest,),
    )
    if not rows:
        stored = StoredPerson("", "consumer", email, None, None, digest, None, None)
        unknown = Person(kind=PersonKind.CONSUMER, email=email)
        decision = decide_stored(ledger, stored, unknown, campaign, at)
        return Decided(address, digest, None, decision)
    first: Decided | None = None
    for row in rows:
        stored = read_person(row, ledger.epochs)
        decision = decide_stored(ledger, stored, stored.as_case_person(), campaign, at)
        if not decision.allowed:
            return Decided(address, digest, stored.id, decision)
        first = first or Decided(address, digest, stored.id, decision)
    assert first is not None
    return first
