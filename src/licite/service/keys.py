"""API keys: created once and shown once, stored as a SHA-256, compared in constant time.

A key reads `lk_<id>_<secret>`: the id finds the row, the secret's SHA-256 is
compared with `hmac.compare_digest`. The secret is 32 random bytes, so a plain
SHA-256 is enough (there is nothing to guess a dictionary from, unlike a
password). Each request reads the key's row again: a key revoked on one
replica is refused by every other at the next request.

Scopes: `read` asks decisions and reads the catalogue and the campaigns;
`write` records people and events and runs scrubs; `admin` does all of that
and reads a person's dossier (their data in clear). A `write` key does not
decide and a `read` key does not write: each system gets only what it needs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from licite.errors import InvalidInput
from licite.i18n import Text
from licite.ledger.journal import Batch
from licite.ledger.ledger import Ledger
from licite.ledger.store import Transaction

Scope = Literal["admin", "write", "read"]
SCOPES: tuple[Scope, ...] = ("admin", "write", "read")
PREFIX = "lk_"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str | None
    scope: Scope
    created_at_us: int
    revoked_at_us: int | None

    def allows(self, needed: Scope) -> bool:
        return self.revoked_at_us is None and (self.scope == "admin" or self.scope == needed)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(ledger: Ledger, scope: str, name: str | None = None) -> tuple[str, ApiKey]:
    """A new key; returns its full text (the only time it exists) and its record."""
    if scope not in SCOPES:
        raise InvalidInput(
            Text(
                f"--scope : portée inconnue {scope!r} (admin, write ou read)",
                f"--scope: unknown scope {scope!r} (admin, write or read)",
            )
        )
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = time.time_ns() // 1000
    record = ApiKey(key_id, name, scope, now, None)

    def insert(tx: Transaction) -> None:
        tx.execute(
            "INSERT INTO api_keys (id, name, scope, secret_sha256, created_at_us)"
            " VALUES (?, ?, ?, ?, ?)",
            (key_id, name, scope, _digest(secret), now),
        )

    ledger.journal.commit(Batch(also=[insert]))
    return f"{PREFIX}{key_id}_{secret}", record


def list_keys(ledger: Ledger) -> list[ApiKey]:
    rows = ledger.store.read(
        "SELECT id, name, scope, created_at_us, revoked_at_us FROM api_keys"
        " ORDER BY created_at_us, id"
    )
    return [ApiKey(*row) for row in rows]


def revoke_key(ledger: Ledger, key_id: str) -> ApiKey:
    """Stamp the key revoked (it stays listed: who could act, and until when)."""
    now = time.time_ns() // 1000
    if key_id.startswith(PREFIX):
        key_id = key_id[len(PREFIX) :].split("_", 1)[0]
    found: list[ApiKey] = []

    def stamp(tx: Transaction) -> None:
        rows = tx.execute(
            "SELECT id, name, scope, created_at_us, revoked_at_us FROM api_keys WHERE id = ?",
            (key_id,),
        )
        if rows and rows[0][4] is None:
            tx.execute("UPDATE api_keys SET revoked_at_us = ? WHERE id = ?", (now, key_id))
            key, label, kind, created, _ = rows[0]
            found.append(ApiKey(key, label, kind, created, now))
        elif rows:
            found.append(ApiKey(*rows[0]))

    ledger.journal.commit(Batch(also=[stamp]))
    if not found:
        raise InvalidInput(
            Text(f"aucune clé d'id {key_id!r}", f"no key with id {key_id!r}"),
        )
    return found[0]


def secret_digest(presented: str) -> str:
    """The SHA-256 the ledger stores for the key `presented` (`lk_<id>_<secret>`)."""
    return _digest(presented[len(PREFIX) :].partition("_")[2])


def key_by_id(ledger: Ledger, key_id: str) -> tuple[ApiKey, str] | None:
    """The key's record and its secret's SHA-256, by id (a session names its key so)."""
    rows = ledger.store.read(
        "SELECT id, name, scope, created_at_us, revoked_at_us, secret_sha256 FROM api_keys"
        " WHERE id = ?",
        (key_id,),
    )
    if not rows:
        return None
    *fields, stored = rows[0]
    return ApiKey(*fields), stored


def authenticate(ledger: Ledger, presented: str) -> ApiKey | None:
    """The key's record when `presented` is a key of this ledger, not revoked; else None."""
    if not presented.startswith(PREFIX):
        return None
    key_id, _, secret = presented[len(PREFIX) :].partition("_")
    if not key_id or not secret or len(presented) > 200:
        return None
    found = key_by_id(ledger, key_id)
    if found is None:
        hmac.compare_digest(_digest(secret), _digest(""))  # the same work either way
        return None
    key, stored = found
    if not hmac.compare_digest(_digest(secret), stored) or key.revoked_at_us is not None:
        return None
    return key
