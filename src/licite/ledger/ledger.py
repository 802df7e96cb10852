"""The ledger: a store, its keys and its journal, opened from the configuration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from licite.errors import KeyProblem, StoreUnavailable, UnknownPerson
from licite.i18n import Text
from licite.ledger.config import (
    MEMORY_URL,
    Keys,
    Location,
    database_url,
    key_directory,
    load_keys,
    parse_url,
)
from licite.ledger.crypto import key_id, public_hex, signing_key
from licite.ledger.epochs import Epochs
from licite.ledger.journal import Journal
from licite.ledger.people import StoredPerson, person_select, read_person
from licite.ledger.schema import EPOCHS, GENESIS, LATEST, SIGNED_STATE, migrate
from licite.ledger.store import Row, Store, Transaction, open_store

CHECKPOINT_EVERY = 10_000
"""Events between two signed checkpoints."""


class Ledger:
    epochs: Epochs
    """The key epochs that wrap person keys; open once the schema is (`_prepare`)."""

    def __init__(
        self,
        store: Store,
        keys: Keys,
        *,
        checkpoint_every: int = CHECKPOINT_EVERY,
        key_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.key_dir = key_dir
        """Where epoch keys are kept (None: in memory, with the store)."""
        self.signer = signing_key(keys.signing)
        self.public_key = public_hex(self.signer)
        self.journal = Journal(store, self.signer, checkpoint_every)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        schema_target: int = LATEST,
        checkpoint_every: int = CHECKPOINT_EVERY,
        must_exist: bool = False,
    ) -> Ledger:
        """Open (creating or upgrading as needed) the ledger at `url` or LICITE_DATABASE_URL.

        `must_exist`, for the commands that only read: where there is no ledger, say so
        (`NoLedger`) and create nothing, neither a database nor a key."""
        location = parse_url(url or database_url(environ))
        # The master key is only made for a store kept at a schema before key epochs.
        create_master = schema_target < EPOCHS
        if must_exist:
            store = open_store(location, must_exist=True)
            try:
                keys = load_keys(location, environ, create=False)
            except BaseException:
                store.close()
                raise
        else:
            keys = load_keys(location, environ, create_master=create_master)
            store = open_store(location)
        try:
            directory = key_directory(location, environ)
            ledger = cls(store, keys, checkpoint_every=checkpoint_every, key_dir=directory)
            ledger._prepare(schema_target)
        except BaseException:
            store.close()
            raise
        return ledger

    @classmethod
    def memory(cls, **options: Any) -> Ledger:
        """A throwaway in-memory SQLite ledger with fresh keys (tests, experiments)."""
        return cls.open(MEMORY_URL, environ={}, **options)

    @property
    def location(self) -> Location:
        return self.store.location

    def _prepare(self, target: int) -> None:
        version = migrate(
            self.store, target, on_create=self._create, after={SIGNED_STATE: self._resign}
        )
        self.journal.schema = version
        if version > LATEST:
            raise StoreUnavailable(
                Text(
                    f"ce registre est au schéma v{version}, plus récent que ce licite (v{LATEST})",
                    f"this ledger has schema v{version}, newer than this licite's (v{LATEST})",
                )
            )
        self._check_keys()
        self.epochs = Epochs.open(self.store, self.key_dir, self.keys, version)
        self.keys = self.epochs.keys_for(self.keys)
        self.journal.keep_keys = self.epochs.keep

    def key_ids(self) -> dict[str, str]:
        ids = {
            "hmac_key_id": key_id(self.keys.hmac, "hmac"),
            "signing_public_key": self.public_key,
        }
        if self.keys.master is not None:  # epoch 0, of ledgers made before key epochs
            ids["master_key_id"] = key_id(self.keys.master, "master")
        return ids

    def _create(self, tx: Transaction) -> None:
        for name, value in self.key_ids().items():
            tx.execute("INSERT INTO meta VALUES (?, ?)", (name, value))
        self.journal.sign_genesis(tx, GENESIS)

    def _resign(self, tx: Transaction) -> None:
        """Schema v5's new signatures, made only with this ledger's own signing key."""
        self._check_keys(tx.execute)
        self.journal.resign(tx)

    def _check_keys(self, query: Callable[[str], list[Row]] | None = None) -> None:
        stored: dict[str, str] = dict((query or self.store.read)("SELECT name, value FROM meta"))
        variables = {
            "hmac_key_id": "LICITE_HMAC_KEY",
            "master_key_id": "LICITE_MASTER_KEY",
            "signing_public_key": "LICITE_SIGNING_KEY",
        }
        for name, value in self.key_ids().items():
            if stored.get(name) not in (None, value):
                variable = variables[name]
                raise KeyProblem(
                    Text(
                        f"{variable} n'est pas la clé avec laquelle ce registre a été créé",
                        f"{variable} is not the key this ledger was created with",
                    )
                )

    def person(self, person_id: str) -> StoredPerson:
        rows = self.store.read(person_select(self.journal.schema) + " WHERE p.id = ?", (person_id,))
        if not rows:
            raise unknown_person(person_id)
        return read_person(rows[0], self.epochs)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def unknown_person(person_id: str) -> UnknownPerson:
    return UnknownPerson(
        Text(
            f"--person : aucune personne {person_id!r} dans le registre",
            f"--person: no person {person_id!r} in the ledger",
        )
    )
