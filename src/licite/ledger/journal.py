"""The one place every ledger write goes through.

`Journal.commit` takes the store's write lock (BEGIN IMMEDIATE on SQLite,
`SELECT … FOR UPDATE` on the head row in PostgreSQL), links each new person
record and event to the one before it, writes everything the batch carries,
moves the chain head and signs it, all in one transaction. A batch is
committed whole or not at all, so what an importer has acknowledged is there
and what it had not is absent: never half a batch, never a gap in `seq`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter, not_
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licite.ledger.chain import PERSON_CHAINED_COLUMNS, link
from licite.ledger.crypto import public_hex, sign, signature_holds
from licite.ledger.rows import CHAINED_COLUMNS, ENCODE
from licite.ledger.schema import LATEST, SIGNED_STATE, TIES
from licite.ledger.state import current_state
from licite.ledger.store import Store, Transaction

PERSON_COLUMNS = (*PERSON_CHAINED_COLUMNS, "seq", "prev_hash", "hash", "fingerprint")
EVENT_COLUMNS = (*CHAINED_COLUMNS, "seq", "prev_hash", "hash", "tie")
_FIRST = itemgetter(0)
_UNSEALED = bytes((0, 1, 1, 1, 1, 1, 1))
_SEALED = bytes((1, 1, 1, 1, 1, 1, 1))
"""Which of EVENT_COLUMNS after the facts hold a value, without and with evidence."""


@dataclass(frozen=True, slots=True)
class NewPerson:
    id: str
    values: tuple[Any, ...]
    """PERSON_CHAINED_COLUMNS except recorded_at_us."""
    fingerprint: str
    wrapped_key: str
    epoch: int
    """The key epoch `wrapped_key` is wrapped under (`licite.ledger.epochs`)."""
    key: bytes
    """The person's own key: wrapped again should a rotation commit first."""


class NewEvent(NamedTuple):
    """An event to append (a tuple: an import builds and ships hundreds of thousands)."""

    values: list[Any]
    """Its facts that are not None, in rows.FACT_COLUMNS order (person_id and at_us first)."""
    filled: bytes
    """1 for each of rows.FACT_COLUMNS that has a value, else 0."""
    evidence: str | None
    """Sealed evidence (proof_evidence)."""
    content_hash: str
    encoded_facts: str
    """The canonical encoding of all its facts, computed once: the chain's extends it."""

    @property
    def person_id(self) -> str:
        return str(self.values[0])


@dataclass(slots=True)
class Batch:
    persons: list[NewPerson] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    wordings: dict[str, str] = field(default_factory=dict)
    also: list[Callable[[Transaction], None]] = field(default_factory=list)
    """Writes that are not chained records (suppression lists, erasure), same transaction."""
    checkpoint: bool = False


@dataclass(slots=True)
class Committed:
    persons_added: int = 0
    persons_unchanged: int = 0
    person_conflicts: list[int] = field(default_factory=list)
    persons_erased: list[int] = field(default_factory=list)
    events_added: int = 0
    events_duplicate: int = 0
    events_orphaned: list[int] = field(default_factory=list)
    head_seq: int = 0


HEAD_DOMAIN = "licite/v1/head\0"
CHECKPOINT_DOMAIN = "licite/v1/checkpoint\0"
"""What a signature says it signs (schema v5): a head's signature can never stand in for
a checkpoint's, nor the reverse, because their messages start differently. Before v5
both signed the same message, so a checkpoint's row copied into `heads` passed for a
head: a ledger cut back to an old checkpoint verified."""


@dataclass(frozen=True, slots=True)
class Head:
    event_seq: int
    event_hash: str
    person_seq: int
    person_hash: str
    signed_at_us: int

    @classmethod
    def from_row(cls, values: Sequence[object]) -> Head:
        """A head from its five columns as a store returns them."""
        event_seq, event_hash, person_seq, person_hash, at_us = values
        return cls(
            int(str(event_seq)),
            str(event_hash),
            int(str(person_seq)),
            str(person_hash),
            int(str(at_us)),
        )

    def _chains(self) -> str:
        return (
            f"events {self.event_seq} {self.event_hash}"
            f" persons {self.person_seq} {self.person_hash} at {self.signed_at_us}"
        )

    def head_message(self, state: str) -> str:
        """The chain head's message: the chains' ends and the summary of the tables
        the chains do not cover (`state.State`)."""
        return f"{HEAD_DOMAIN}{self._chains()} state {state}"

    def checkpoint_message(self, number: int) -> str:
        """Checkpoint `number`'s message: numbered, so none can be dropped from the middle
        of the list or take another's place."""
        return f"{CHECKPOINT_DOMAIN}{number} {self._chains()}"

    def legacy_message(self) -> str:
        """The message heads and checkpoints both signed before schema v5."""
        return f"licite head {self._chains()}"


class Journal:
    def __init__(self, store: Store, signer: Ed25519PrivateKey, checkpoint_every: int) -> None:
        self.store = store
        self._signer = signer
        self._public = public_hex(signer)
        self._checkpoint_every = checkpoint_every
        self.schema = LATEST
        """The store's schema version: one opened at an older target (tests of upgrades)
        is written as that version's code wrote it."""
        self.keep_keys: Callable[[Transaction, list[NewPerson]], None] = _no_keys
        """Records new people's keys (`Epochs.keep`, set by the ledger once it is open)."""

    def commit(self, batch: Batch) -> Committed:
        lock = " FOR UPDATE" if self.store.dialect == "postgresql" else ""
        with self.store.write() as tx:
            row = tx.execute(
                "SELECT event_seq, event_hash, person_seq, person_hash FROM heads WHERE id = 1"
                + lock
            )[0]
            now = time.time_ns() // 1000
            done = Committed()
            person_seq, person_hash, new_people = self._persons(
                tx, batch.persons, row[2], row[3], now, done
            )
            event_seq, event_hash = self._events(tx, batch, new_people, row[0], row[1], now, done)
            self._wordings(tx, batch.wordings, now)
            for write in batch.also:
                write(tx)
            head = Head(event_seq, event_hash, person_seq, person_hash, now)
            self._move_head(tx, head)
            every = self._checkpoint_every
            if batch.checkpoint or (every and event_seq // every > row[0] // every):
                self._checkpoint(tx, head)
            done.head_seq = event_seq
            return done

    def sign_genesis(self, tx: Transaction, genesis: str) -> None:
        """The empty chains' head, signed as schema v1 did: `resign` signs it again in v5."""
        head = Head(0, genesis, 0, genesis, time.time_ns() // 1000)
        tx.execute(
            "INSERT INTO heads VALUES (1, ?, ?, ?, ?, ?, ?)",
            (0, genesis, 0, genesis, head.signed_at_us, sign(self._signer, head.legacy_message())),
        )

    def resign(self, tx: Transaction) -> None:
        """Schema v5: sign the head and every checkpoint again, in domain-separated messages.

        Only a signature that holds under the old message, by this ledger's key, is
        replaced: one that did not hold still does not, and verify names it. What the
        store holds at that moment is what gets signed (docs/security.md: verify, and
        witness, before upgrading)."""
        head_rows = tx.execute(
            "SELECT event_seq, event_hash, person_seq, person_hash, signed_at_us, signature"
            " FROM heads WHERE id = 1"
        )
        for *values, signature in head_rows:
            head = Head.from_row(values)
            if signature_holds(self._public, head.legacy_message(), str(signature)):
                state = current_state(tx.execute, self.store.dialect, tx.many).line()
                tx.execute(
                    "UPDATE heads SET state = ?, signature = ? WHERE id = 1",
                    (state, sign(self._signer, head.head_message(state))),
                )
        for number, *values, public_key, signature in tx.execute(
            "SELECT id, event_seq, event_hash, person_seq, person_hash, signed_at_us,"
            " public_key, signature FROM checkpoints ORDER BY id"
        ):
            head = Head.from_row(values)
            if public_key == self._public and signature_holds(
                self._public, head.legacy_message(), str(signature)
            ):
                tx.execute(
                    "UPDATE checkpoints SET signature = ? WHERE id = ?",
                    (sign(self._signer, head.checkpoint_message(int(number))), number),
                )

    def _persons(
        self,
        tx: Transaction,
        persons: Sequence[NewPerson],
        seq: int,
        prev: str,
        now: int,
        done: Committed,
    ) -> tuple[int, str, set[str]]:
        """Append the new people; returns the chain's end and the ids added."""
        if not persons:
            return seq, prev, set()
        known = {
            r[0]: (r[1], r[2])
            for r in tx.where_in(
                "SELECT id, fingerprint, erased_at_us FROM persons",
                "id",
                [p.id for p in persons],
            )
        }
        rows: list[tuple[Any, ...]] = []
        keys: list[NewPerson] = []
        for index, person in enumerate(persons):
            if person.id in known:
                fingerprint, erased = known[person.id]
                if erased is not None:
                    done.persons_erased.append(index)
                elif fingerprint == person.fingerprint:
                    done.persons_unchanged += 1
                else:
                    done.person_conflicts.append(index)
                continue
            values = (*person.values, now)
            seq += 1
            new_hash = link(prev, ENCODE(list(values)))
            rows.append((*values, seq, prev, new_hash, person.fingerprint))
            keys.append(person)
            known[person.id] = (person.fingerprint, None)
            prev = new_hash
        tx.insert("persons", PERSON_COLUMNS, rows)
        self.keep_keys(tx, keys)
        done.persons_added = len(rows)
        return seq, prev, {person.id for person in keys}

    def _events(
        self,
        tx: Transaction,
        batch: Batch,
        new_people: set[str],
        seq: int,
        prev: str,
        now: int,
        done: Committed,
    ) -> tuple[int, str]:
        events = batch.events
        if not events:
            return seq, prev
        # Whose each event is (values[0]), in C: these passes run over every event imported.
        owners = list(map(_FIRST, map(_FIRST, events)))
        added_people = {p.id for p in batch.persons}
        wanted = set(owners) - added_people
        people = added_people | {
            r[0] for r in tx.where_in("SELECT id FROM persons", "id", list(wanted))
        }
        # A person added by this very commit has no event recorded yet.
        earlier = compress(events, map(not_, map(new_people.__contains__, owners)))
        seen, ties = _recorded(tx, list(earlier), self.schema >= TIES)
        # Rows grouped by the columns they fill, each holding only those values.
        shapes: dict[bytes, list[list[Any]]] = {}
        added = 0
        tail = f",{now}]"
        sha256 = hashlib.sha256
        for index, (values, filled, evidence, content_hash, encoded_facts) in enumerate(events):
            if values[0] not in people:
                done.events_orphaned.append(index)
                continue
            if content_hash in seen:
                done.events_duplicate += 1
                continue
            seen.add(content_hash)
            seq += 1
            instant = (values[0], values[1])
            tie = ties.get(instant, 0)
            ties[instant] = tie + 1
            if evidence is None:
                encoded = f'{encoded_facts[:-1]},null,"{content_hash}"{tail}'
                shape, row = filled + _UNSEALED, [*values, content_hash, now, seq, prev]
            else:
                encoded = f'{encoded_facts[:-1]},{ENCODE(evidence)},"{content_hash}"{tail}'
                shape, row = filled + _SEALED, [*values, evidence, content_hash, now, seq, prev]
            # chain.link(prev, encoded), inlined: this loop runs for every event imported.
            own = sha256(encoded.encode()).hexdigest()
            prev = sha256((prev + own).encode()).hexdigest()
            row.append(prev)
            row.append(tie)
            group = shapes.get(shape)
            if group is None:
                group = shapes[shape] = []
            group.append(row)
            added += 1
        if self.schema < TIES:
            tx.insert_shaped(
                "events",
                EVENT_COLUMNS[:-1],
                {shape[:-1]: [row[:-1] for row in rows] for shape, rows in shapes.items()},
            )
        else:
            tx.insert_shaped("events", EVENT_COLUMNS, shapes)
        done.events_added = added
        return seq, prev

    def _wordings(self, tx: Transaction, wordings: dict[str, str], now: int) -> None:
        if not wordings:
            return
        have = {r[0] for r in tx.where_in("SELECT sha256 FROM wordings", "sha256", list(wordings))}
        fresh = [(sha, text, now) for sha, text in wordings.items() if sha not in have]
        if fresh:  # a wording shown before (most are) costs no COPY
            tx.insert("wordings", ("sha256", "text", "recorded_at_us"), fresh)

    def _move_head(self, tx: Transaction, head: Head) -> None:
        if self.schema >= SIGNED_STATE:
            state = current_state(tx.execute, self.store.dialect, tx.many).line()
            tx.execute(
                "UPDATE heads SET event_seq = ?, event_hash = ?, person_seq = ?, person_hash = ?,"
                " signed_at_us = ?, state = ?, signature = ? WHERE id = 1",
                (
                    head.event_seq,
                    head.event_hash,
                    head.person_seq,
                    head.person_hash,
                    head.signed_at_us,
                    state,
                    sign(self._signer, head.head_message(state)),
                ),
            )
            return
        tx.execute(
            "UPDATE heads SET event_seq = ?, event_hash = ?, person_seq = ?, person_hash = ?,"
            " signed_at_us = ?, signature = ? WHERE id = 1",
            (
                head.event_seq,
                head.event_hash,
                head.person_seq,
                head.person_hash,
                head.signed_at_us,
                sign(self._signer, head.legacy_message()),
            ),
        )

    def _checkpoint(self, tx: Transaction, head: Head) -> None:
        number = tx.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM checkpoints")[0][0]
        if self.schema >= SIGNED_STATE:
            message = head.checkpoint_message(int(number))
        else:
            message = head.legacy_message()
        tx.execute(
            "INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number,
                head.event_seq,
                head.event_hash,
                head.person_seq,
                head.person_hash,
                head.signed_at_us,
                self._public,
                sign(self._signer, message),
            ),
        )


def _recorded(
    tx: Transaction, events: Sequence[NewEvent], ranked: bool = True
) -> tuple[set[str], dict[tuple[str, int], int]]:
    """The content hashes the ledger already holds at the persons and instants of `events`,
    and the `tie` the next event of each of those (person, instant) takes.

    The content hash covers the person and the instant, so a recorded duplicate
    has the same ones: the lookup goes through `events_content`. An event's `tie`
    orders it after the person's earlier events at the same instant (schema v4)."""
    if not events:
        return set(), {}
    keys = list({(e.values[0], e.values[1]) for e in events})
    seen: set[str] = set()
    ties: dict[tuple[str, int], int] = {}
    tie = "tie" if ranked else "0"  # a store before v4 has no ranks
    for person_id, at_us, content_hash, rank in tx.lookup(
        "events", ("person_id", "at_us"), keys, returning=("content_hash", tie)
    ):
        seen.add(content_hash)
        ties[person_id, at_us] = max(ties.get((person_id, at_us), 0), rank + 1)
    return seen, ties


def _no_keys(tx: Transaction, persons: list[NewPerson]) -> None:
    if persons:
        raise RuntimeError("the ledger's key epochs are not open")
