"""Person records: normalized, hashed for lookups, sealed with the person's own key.

The email is trimmed and lowercased and the phone put in E.164 by the case
model's own validation (`licite.case.Person`), so a person in the ledger and
in a case file are read the same way; the HMAC of each normalized value is the
lookup and suppression key (the scrub recomputes it from a contact list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from licite.case import Person
from licite.ledger.config import Keys
from licite.ledger.crypto import KeyedHasher, new_person_key, seal, unseal, wrap_key
from licite.ledger.epochs import Epochs
from licite.ledger.journal import NewPerson
from licite.ledger.rows import ENCODE
from licite.ledger.schema import EPOCHS
from licite.vocabulary import PersonKind

SEALED_FIELDS = ("email", "phone", "postal_code")


class PersonRecords:
    """Makes the records of new people under one ledger's keys."""

    def __init__(self, keys: Keys) -> None:
        self._hash = KeyedHasher(keys.hmac)
        self._wrapping = AESGCM(keys.wrapping)
        self._epoch = keys.epoch

    def new(self, person_id: str, person: Person) -> tuple[NewPerson, bytes]:
        """The record to append for a validated person, and the person's fresh key."""
        key = new_person_key()
        sealed = [
            None if (value := getattr(person, name)) is None else seal(key, person_id, name, value)
            for name in SEALED_FIELDS
        ]
        email, phone = person.email, person.phone
        values = (
            person_id,
            person.kind.value,
            None if email is None else self._hash(email.encode()),
            None if phone is None else self._hash(phone.encode()),
            *sealed,
        )
        # What the person line said: re-importing it is recognized as the same.
        said = ENCODE([person.kind.value, email, phone, person.postal_code])
        wrapped = wrap_key(self._wrapping, person_id, key)
        record = NewPerson(person_id, values, self._hash(said.encode()), wrapped, self._epoch, key)
        return record, key


@dataclass(frozen=True, slots=True)
class StoredPerson:
    id: str
    kind: str
    email: str | None
    phone: str | None
    postal_code: str | None
    email_hash: str | None
    phone_hash: str | None
    erased_at_us: int | None

    def as_case_person(self) -> Person:
        return Person(
            id=self.id,
            kind=PersonKind(self.kind),
            email=self.email,
            phone=self.phone,
            postal_code=self.postal_code,
        )


def person_select(schema: int) -> str:
    """The columns `read_person` opens (before v5, every key is of epoch 0)."""
    epoch = "k.epoch" if schema >= EPOCHS else "0"
    return (
        "SELECT p.id, p.kind, p.email_sealed, p.phone_sealed, p.postal_code_sealed,"
        f" p.email_hash, p.phone_hash, p.erased_at_us, k.wrapped, {epoch} FROM persons p"
        " LEFT JOIN person_keys k ON k.person_id = p.id"
    )


def read_person(row: tuple[Any, ...], epochs: Epochs) -> StoredPerson:
    """Open a `person_select` row; an erased person's data stays sealed for ever."""
    person_id, kind, *sealed, email_hash, phone_hash, erased, wrapped, epoch = row
    plain: list[str | None] = [None, None, None]
    if wrapped is not None:
        key = epochs.unwrap(person_id, wrapped, epoch)
        plain = [
            None if token is None else unseal(key, person_id, name, token)
            for name, token in zip(SEALED_FIELDS, sealed, strict=True)
        ]
    email, phone, postal_code = plain
    return StoredPerson(person_id, kind, email, phone, postal_code, email_hash, phone_hash, erased)
