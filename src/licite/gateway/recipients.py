"""Each recipient decided from the ledger at the moment of sending (CPCE L34-5, SPEC §2).

The address is normalized as a case file's is (`licite.case.Person`) and looked up by its
keyed hash, the ledger's lookup key: nothing is decrypted to find the person. Every
record with that address is decided as `decide_stored` decides it (the computation of
`licite decide --person` and `POST /v1/people/{id}/decide`), every recipient of a message
read from the ledger at once (`history.addressed_as_of`); the address goes out only when
every one of them allows it (an objection recorded on a duplicate record still counts).
An address the ledger does not know is decided as SPEC §2's unknown person: a consumer
with no history, whose keyed hash still meets the suppressions an erasure left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from licite.case import Campaign, Person, Sender
from licite.decision import Decision
from licite.ledger.crypto import keyed_hash
from licite.ledger.decide import decide_read
from licite.ledger.history import Addressed, AsOf, addressed_as_of, cleaned
from licite.ledger.ledger import Ledger
from licite.ledger.people import StoredPerson
from licite.ledger.store import Row
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


class Recipients:
    """A message's recipients, once per keyed hash (the first address given with it):
    `read` reads the ledger for them all at once (`addressed_as_of`), `decide` decides
    each from what was read."""

    def __init__(self, ledger: Ledger, addresses: Sequence[str]) -> None:
        self.ledger = ledger
        self.wanted: dict[str, str] = {}
        self._emails: dict[str, str] = {}
        for address in addresses:
            email = normalized(address)
            if email is None:
                raise ValueError("address")  # RCPT already refused it (handler.check_address)
            digest = keyed_hash(ledger.keys.hmac, email)
            if digest not in self.wanted:
                self.wanted[digest], self._emails[digest] = address, email
        self._read: Addressed | None = None

    def read(self, at: datetime, also: Sequence[tuple[str, Sequence[Any]]] = ()) -> list[list[Row]]:
        """The ledger read as of `at`, with the caller's statements `also`: their rows."""
        self._read = addressed_as_of(self.ledger, list(self.wanted), at, also)
        return self._read.also

    def decide(self, campaign: Campaign, at: datetime) -> list[Decided]:
        """Each recipient decided at `at` (the moment `read` was given) from what was read."""
        read = self._read
        assert read is not None, "read first"
        sender = cleaned(campaign.sender, read.latest)
        decided: list[Decided] = []
        for digest, address in self.wanted.items():
            records = read.records.get(digest)
            if records is not None:
                decided.append(_strictest(address, digest, records, campaign, sender, at))
                continue
            email = self._emails[digest]
            stored = StoredPerson("", "consumer", email, None, None, digest, None, None)
            unknown = Person(kind=PersonKind.CONSUMER, email=email)
            decision = decide_read(stored, unknown, read.unknown[digest], campaign, sender, at)
            decided.append(Decided(address, digest, None, decision))
        return decided


def _strictest(
    address: str,
    digest: str,
    records: list[AsOf],
    campaign: Campaign,
    sender: Sender,
    at: datetime,
) -> Decided:
    """The first refusal among the records with the address, else the first record's
    allowance (an error reading a record is raised, as `ledger.person` raises it)."""
    first: Decided | None = None
    for one in records:
        stored = one.stored
        person = stored.as_case_person()
        decision = decide_read(stored, person, one.history, campaign, sender, at)
        if not decision.allowed:
            return Decided(address, digest, stored.id, decision)
        first = first or Decided(address, digest, stored.id, decision)
    assert first is not None
    return first
