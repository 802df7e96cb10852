"""Turning a validated event (and its optional proof) into the record the journal appends."""

from __future__ import annotations

from licite.case import Event
from licite.ledger.config import Keys
from licite.ledger.crypto import KeyedHasher, seal
from licite.ledger.journal import NewEvent
from licite.ledger.proof import Proof
from licite.ledger.rows import ENCODE, fact_row

_NO_PROOF: tuple[None, None, None] = (None, None, None)
Evidence = dict[str, str]


def new_event(
    keys: Keys,
    person_id: str,
    event: Event,
    proof: Proof | None = None,
    person_key: bytes | None = None,
    at_text: str | None = None,
) -> NewEvent:
    """The record for one event; evidence needs the person's key (it is personal data)."""
    record, evidence = unsealed_event(KeyedHasher(keys.hmac), person_id, event, proof, at_text)
    if evidence is None:
        return record
    if person_key is None:
        raise ValueError("evidence without the person's key")
    return with_evidence(record, evidence, person_key)


def unsealed_event(
    content_hash: KeyedHasher,
    person_id: str,
    event: Event,
    proof: Proof | None = None,
    at_text: str | None = None,
) -> tuple[NewEvent, Evidence | None]:
    """The record for one event, and its evidence (IP, user agent) still to be sealed.

    Needs no database: an import prepares records in a process of its own, and
    the person's key is fetched where the batch is committed."""
    parts = (proof.form, proof.wording_sha256, proof.recorded_by) if proof else _NO_PROOF
    values, filled, encoded = fact_row(person_id, event, parts, at_text)
    evidence = proof.evidence() if proof else None
    said = encoded if evidence is None else encoded + ENCODE(evidence)
    # Keyed: the content hash covers evidence (IP, user agent) that must not be guessable.
    return NewEvent(values, filled, None, content_hash(said.encode()), encoded), evidence


def with_evidence(record: NewEvent, evidence: Evidence, person_key: bytes) -> NewEvent:
    """The record with its evidence sealed under the person's key."""
    sealed = seal(person_key, record.person_id, "evidence", ENCODE(evidence))
    return record._replace(evidence=sealed)
