"""Key epochs: person keys are wrapped by a key that lives outside the database, and
that key is replaced, so an erased person's key cannot be unwrapped from any copy.

Erasing a person deletes the row holding its wrapped key, but a deleted row lives on:
in PostgreSQL's dead tuples and WAL, in SQLite's freed pages and WAL frames, in every
backup and dump. What survives is wrapped by the epoch key of its day. `rotate`
re-wraps every remaining person key under a new epoch key and then destroys the old
epoch key, so whatever survives of an erased person's key is wrapped under a key that
no longer exists anywhere (issue 13, finding 4).

Layout (schema v6): the table `epochs(id, key_id, created_at_us, erasures)`, and in
`person_keys` the epoch each key is wrapped under. Epoch n's key is the file
`epoch-<key_id>.key` of the key directory, `key_id` a fingerprint of the key: two
ledgers sharing a directory never touch each other's files. Epoch 0 is the master
key of a ledger made before v6 (`LICITE_MASTER_KEY` or `master.key`): it is used as
it is (nothing is re-wrapped when upgrading) until the first rotation moves every
key off it; licite then does not delete it (other ledgers may share it) but says
that it protects nothing any more here and must be destroyed.

A rotation survives a SIGKILL at any instant, every live person decryptable:
1. the new key's file is written and made durable (file and directory fsynced)
   before anything refers to it;
2. one transaction, holding the write lock, records the new epoch and re-wraps
   every key under it;
3. only after the commit are old epoch files destroyed, and only those no
   `person_keys` row refers to. Opening a ledger finishes step 3 for a rotation
   killed after its commit; an old epoch still referred to is kept. A file no
   epoch names (a rotation killed before its commit) wraps nothing and is left.
A batch prepared under an epoch that a rotation then replaced is re-wrapped
when it commits (`keep`), under the lock, so no commit can refer to a destroyed
key.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from licite.errors import KeyProblem, LedgerError
from licite.i18n import Text
from licite.ledger.config import Keys, write_key_file
from licite.ledger.crypto import key_id, new_person_key, unwrap_key, wrap_key
from licite.ledger.schema import EPOCHS
from licite.ledger.store import Store, Transaction

if TYPE_CHECKING:
    from licite.ledger.journal import NewPerson

_CHUNK = 20_000
"""Person keys re-wrapped per statement during a rotation."""
LOSS_WARNING = Text(
    "licite : nouvelle clé d'époque {path} : elle chiffre les données de chaque personne ;"
    " la perdre, c'est perdre ces données. Sauvegardez-la hors de la base (docs/security.md).",
    "licite: new epoch key {path}: it protects every person's data; losing it loses that"
    " data. Back it up away from the database (docs/security.md).",
)


@dataclass(frozen=True, slots=True)
class Rotated:
    epoch: int
    rewrapped: int
    destroyed: list[str]
    """The old epoch keys destroyed (their files, or `memory`)."""
    master_left: bool
    """The master key (epoch 0) is still configured though nothing here needs it."""


class Epochs:
    """The epoch keys of one ledger: which is current, and each one's key on demand."""

    def __init__(self, store: Store, directory: Path | None, keys: Keys, schema: int) -> None:
        self.store = store
        self.directory = directory
        self.master = keys.master
        self.schema = schema
        self.current = 0
        self._keys: dict[int, bytes] = {}
        self._ciphers: dict[int, AESGCM] = {}
        self._ids: dict[int, str] = {}

    @classmethod
    def open(cls, store: Store, directory: Path | None, keys: Keys, schema: int) -> Epochs:
        """The ledger's epochs; the first one is made for a new ledger."""
        epochs = cls(store, directory, keys, schema)
        if schema < EPOCHS:
            epochs.key(0)  # a store kept at an older schema wraps with the master key
            return epochs
        epochs._read_table()
        if not epochs._ids:
            epochs._begin()
        epochs.key(epochs.current)
        epochs.tidy()
        return epochs

    def keys_for(self, keys: Keys) -> Keys:
        """`keys`, wrapping new person keys under the current epoch."""
        return replace(keys, epoch=self.current, epoch_key=self.key(self.current))

    def _read_table(self) -> None:
        rows = self.store.read("SELECT id, key_id FROM epochs ORDER BY id")
        self._ids = {int(number): str(ident) for number, ident in rows}
        if self._ids:
            self.current = max(self._ids)

    def _begin(self) -> None:
        """A new ledger's first epoch (or an upgraded one's that had no master key)."""
        key = new_person_key()
        ident = key_id(key, "epoch")
        self._keep_key(ident, key)
        with self.store.write() as tx:
            _lock(self.store, tx)
            first = tx.execute("SELECT COUNT(*) FROM epochs")[0][0] == 0
            if first:
                tx.execute(
                    "INSERT INTO epochs (id, key_id, created_at_us) VALUES (1, ?, ?)",
                    (ident, _now()),
                )
        self._read_table()
        if first:
            self._keys[self.current] = key
        elif self.directory is not None:
            _destroy(self._path(ident))  # another process made it first: ours wraps nothing

    def key(self, epoch: int) -> bytes:
        """Epoch `epoch`'s key, checked against the fingerprint the ledger recorded."""
        if epoch in self._keys:
            return self._keys[epoch]
        if epoch not in self._ids and self.schema >= EPOCHS:
            self._read_table()  # a rotation by another process since this one opened
        if epoch == 0:
            key = self._master()
        else:
            ident = self._ids.get(epoch)
            if ident is None:
                raise _missing(f"#{epoch}")
            key = self._read_key(ident)
        self._keys[epoch] = key
        return key

    def _master(self) -> bytes:
        if self.master is None:
            raise KeyProblem(
                Text(
                    "LICITE_MASTER_KEY (ou master.key) manque : les clés des personnes de ce"
                    " registre sont chiffrées par elle (époque 0)",
                    "LICITE_MASTER_KEY (or master.key) is missing: this ledger's person keys"
                    " are wrapped by it (epoch 0)",
                )
            )
        recorded = self._ids.get(0)
        if recorded is not None and recorded != key_id(self.master, "master"):
            raise KeyProblem(
                Text(
                    "LICITE_MASTER_KEY n'est pas la clé avec laquelle ce registre a été créé",
                    "LICITE_MASTER_KEY is not the key this ledger was created with",
                )
            )
        return self.master

    def unwrap(self, person_id: str, wrapped: str, epoch: int | None) -> bytes:
        """A person's key from its `person_keys` row."""
        number = epoch or 0
        cipher = self._ciphers.get(number)
        if cipher is None:
            cipher = self._ciphers[number] = AESGCM(self.key(number))
        return unwrap_key(cipher, person_id, wrapped)

    def keep(self, tx: Transaction, persons: list[NewPerson]) -> None:
        """Record new people's keys (the journal's commit, under the write lock): a key
        wrapped under an epoch a rotation has since replaced is wrapped again."""
        if not persons:
            return
        if self.schema < EPOCHS:
            tx.insert(
                "person_keys", ("person_id", "wrapped"), [(p.id, p.wrapped_key) for p in persons]
            )
            return
        current = int(tx.execute("SELECT MAX(id) FROM epochs")[0][0])
        cipher: AESGCM | None = None
        rows: list[tuple[str, str, int]] = []
        for person in persons:
            wrapped = person.wrapped_key
            if person.epoch != current:
                cipher = cipher or AESGCM(self.key(current))
                wrapped = wrap_key(cipher, person.id, person.key)
            rows.append((person.id, wrapped, current))
        tx.insert("person_keys", ("person_id", "wrapped", "epoch"), rows)

    def rotate(self) -> Rotated:
        """Re-wrap every person key under a new epoch key, then destroy the old keys."""
        if self.schema < EPOCHS:
            raise LedgerError(
                Text(
                    f"ce registre est au schéma v{self.schema} : les époques de clés"
                    f" viennent avec la v{EPOCHS}",
                    f"this ledger has schema v{self.schema}: key epochs come with v{EPOCHS}",
                )
            )
        key = new_person_key()
        ident = key_id(key, "epoch")
        self._keep_key(ident, key)  # 1. durable before anything refers to it
        cipher = AESGCM(key)
        rewrapped = 0
        with self.store.write() as tx:  # 2. one transaction
            _lock(self.store, tx)
            number = int(tx.execute("SELECT MAX(id) FROM epochs")[0][0]) + 1
            tx.execute(
                "INSERT INTO epochs (id, key_id, created_at_us) VALUES (?, ?, ?)",
                (number, ident, _now()),
            )
            tx.execute(_TEMPORARY[self.store.dialect])
            last = ""
            while True:
                rows = tx.execute(
                    "SELECT person_id, wrapped, epoch FROM person_keys WHERE person_id > ?"
                    " ORDER BY person_id LIMIT ?",
                    (last, _CHUNK),
                )
                if not rows:
                    break
                tx.insert(
                    "rewrapped",
                    ("person_id", "wrapped"),
                    [(p, wrap_key(cipher, p, self.unwrap(p, w, e))) for p, w, e in rows],
                )
                tx.execute(
                    "UPDATE person_keys SET wrapped = r.wrapped, epoch = ? FROM rewrapped r"
                    " WHERE person_keys.person_id = r.person_id",
                    (number,),
                )
                tx.execute("DELETE FROM rewrapped")
                rewrapped += len(rows)
                last = rows[-1][0]
            tx.execute("DROP TABLE rewrapped")
        self._ids[number] = ident
        self._keys[number] = key
        self.current = number
        destroyed = self.tidy()  # 3. only after the commit
        master_left = self.master is not None and 0 in self._ids and number > 0
        return Rotated(number, rewrapped, destroyed, master_left)

    def tidy(self) -> list[str]:
        """Destroy the keys of old epochs no person key refers to any more."""
        destroyed: list[str] = []
        for number, ident in sorted(self._ids.items()):
            if number == 0 or number >= self.current:
                continue
            path = None if self.directory is None else self._path(ident)
            if path is None and number not in self._keys:
                continue
            if path is not None and not path.exists():
                continue
            used = self.store.read("SELECT 1 FROM person_keys WHERE epoch = ? LIMIT 1", (number,))
            if used:
                continue  # kept: a live person's key is still wrapped under it
            self._keys.pop(number, None)
            self._ciphers.pop(number, None)
            if path is None:
                destroyed.append("memory")
            else:
                _destroy(path)
                destroyed.append(str(path))
        return destroyed

    def _path(self, ident: str) -> Path:
        assert self.directory is not None
        return self.directory / f"epoch-{ident}.key"

    def _keep_key(self, ident: str, key: bytes) -> None:
        """Write a new epoch key's file, durably, and say once what losing it means."""
        if self.directory is None:
            return  # an in-memory ledger's keys die with it
        path = self._path(ident)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_key_file(path, key)  # never exists empty or cut short
        except OSError as error:
            raise KeyProblem(
                Text(
                    f"{path} : création de la clé d'époque impossible ({error.strerror})",
                    f"{path}: cannot create the epoch key ({error.strerror})",
                )
            ) from None
        warning = LOSS_WARNING.format(path=path)
        sys.stderr.write(f"{warning.fr}\n{warning.en}\n")

    def _read_key(self, ident: str) -> bytes:
        if self.directory is None:
            raise _missing(ident)
        path = self._path(ident)
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise _missing(str(path)) from None
        except OSError as error:
            raise KeyProblem(
                Text(
                    f"{path} : lecture de la clé impossible ({error.strerror})",
                    f"{path}: cannot read the key ({error.strerror})",
                )
            ) from None
        try:
            key = bytes.fromhex(text.strip())
        except ValueError:
            key = b""
        if len(key) != 32 or key_id(key, "epoch") != ident:
            raise KeyProblem(
                Text(
                    f"{path} : ce n'est pas la clé d'époque {ident} de ce registre",
                    f"{path}: not this ledger's epoch key {ident}",
                )
            )
        return key


_TEMPORARY = {
    "sqlite": "CREATE TEMP TABLE rewrapped (person_id TEXT PRIMARY KEY, wrapped TEXT NOT NULL)",
    "postgresql": "CREATE TEMP TABLE rewrapped (person_id TEXT PRIMARY KEY,"
    " wrapped TEXT NOT NULL) ON COMMIT DROP",
}


def _lock(store: Store, tx: Transaction) -> None:
    """Serialize with the journal's commits (SQLite: BEGIN IMMEDIATE already does)."""
    if store.dialect == "postgresql":
        tx.execute("SELECT event_seq FROM heads WHERE id = 1 FOR UPDATE")


def _missing(what: str) -> KeyProblem:
    return KeyProblem(
        Text(
            f"clé d'époque {what} introuvable : les données des personnes chiffrées sous elle"
            " sont illisibles (une rotation de clés en cours ? réessayez ; sinon restaurez"
            " la clé depuis sa sauvegarde)",
            f"epoch key {what} not found: the data of the persons wrapped under it is"
            " unreadable (a key rotation under way? try again; else restore the key from"
            " its backup)",
        )
    )


def _destroy(path: Path) -> None:
    """Overwrite the key's bytes, then unlink the file and make that durable.

    On a copy-on-write or journaling file system, an SSD, or a volume with snapshots,
    the overwrite may leave the old bytes somewhere; the key is then gone from every
    path licite reads, and only the medium holds it (docs/security.md)."""
    try:
        size = path.stat().st_size
        with path.open("r+b") as handle:
            handle.write(b"\0" * size)
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
        _sync_directory(path.parent)
    except FileNotFoundError:
        return  # another process destroyed it first
    except OSError as error:
        raise KeyProblem(
            Text(
                f"{path} : destruction de l'ancienne clé d'époque impossible ({error.strerror});"
                " détruisez-la à la main",
                f"{path}: cannot destroy the old epoch key ({error.strerror}); destroy it by hand",
            )
        ) from None


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _now() -> int:
    return time.time_ns() // 1000
