"""Checking a whole chain quickly, in chunks the database assembles.

`chain.scan` needs to know that records 1…head are all there, in order, each
linked to the one before and matching its hash; walking them one by one costs
a Python round trip per record. Here the database returns, for a chunk of
records, four strings: the seqs, the `prev_hash` values, the `hash` values,
and the canonical encodings, each concatenated in seq order. The query runs in
a thread of its own (SQLite and the PostgreSQL driver release the GIL) while
the previous chunk is hashed; the checks are then string comparisons and the
two SHA-256 of each record. A long chain is shared, chunk by chunk, with a
second process, one per core.

This only ever concludes "intact up to here": at the first chunk with any
mismatch it stops, and `chain.scan` walks from there to name the fault.
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
import multiprocessing
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import TYPE_CHECKING

from licite.ledger.config import Location
from licite.ledger.errors import StoreUnavailable
from licite.ledger.schema import GENESIS
from licite.ledger.store import Row, Store, open_store

if TYPE_CHECKING:
    from licite.ledger.chain import Chain

CHUNK = 8192
"""Records per query."""
PARALLEL_FROM = 200_000
"""Chains at least this long are shared with a second process."""
_HEX = 64


@dataclass(frozen=True, slots=True)
class Job:
    """A chain to check, records 1…head, and the seqs whose hash is wanted."""

    chain: Chain
    head: int
    wanted: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Chunks:
    """The chunks of every job, numbered in one sequence that two processes share."""

    jobs: tuple[Job, ...]
    size: int

    @property
    def count(self) -> int:
        return sum(self._counts)

    @property
    def _counts(self) -> list[int]:
        return [-(-job.head // self.size) for job in self.jobs]

    def locate(self, number: int) -> tuple[int, int, int]:
        """Chunk `number` as (job index, its first seq, its last seq)."""
        for index, count in enumerate(self._counts):
            if number < count:
                head = self.jobs[index].head
                return index, number * self.size + 1, min((number + 1) * self.size, head)
            number -= count
        raise IndexError(number)


@dataclass(frozen=True, slots=True)
class Chunk:
    """What a chunk holds, once checked on its own: how it begins and ends."""

    first_prev: str
    last_hash: str
    hashes_at: dict[int, str]


@dataclass(slots=True)
class Swept:
    """How far a chain is intact, checked chunk by chunk."""

    next_seq: int = 1
    """The first seq not known to be intact (head + 1 when all of it is)."""
    last_hash: str = GENESIS
    """The hash of the record before `next_seq`."""
    hashes_at: dict[int, str] = field(default_factory=dict)


def sweep(store: Store, jobs: Sequence[Job]) -> list[Swept]:
    """Each job's records checked in chunks, up to its first chunk that does not hold."""
    chunks = Chunks(tuple(jobs), CHUNK)
    checked: dict[int, Chunk | None] = {}
    if store.location.in_memory:  # only this connection sees it
        checked.update(_sweep(store, chunks, itertools.count().__next__))
    elif sum(job.head for job in jobs) < PARALLEL_FROM:
        checked.update(_sweep(store.location, chunks, itertools.count().__next__))
    else:
        checked.update(_shared(store.location, chunks))
    return [_stitched(checked, chunks, index) for index in range(len(jobs))]


def _shared(location: Location, chunks: Chunks) -> dict[int, Chunk | None]:
    """The chunks checked by this process and a second one, each claiming the next."""
    context = multiprocessing.get_context("spawn")  # never fork a live connection
    claimed = context.Value("q", 0)
    ours, theirs = context.Pipe(duplex=False)
    helper = context.Process(
        target=_sweep_elsewhere,
        args=(location, chunks, claimed, theirs),
        name="licite-verify-helper",
        daemon=True,
    )
    helper.start()
    theirs.close()
    checked: dict[int, Chunk | None] = {}
    try:
        checked.update(_sweep(location, chunks, _counter(claimed)))
        checked.update(ours.recv())
    except (EOFError, OSError):
        pass  # the helper stopped: the chunks it had claimed are walked by chain.scan
    finally:
        ours.close()
        helper.join()
    return checked


def _counter(claimed: Synchronized[int]) -> Callable[[], int]:
    """Chunk numbers shared by two processes, each taken once."""

    def claim() -> int:
        with claimed.get_lock():
            number = int(claimed.value)
            claimed.value = number + 1
        return number

    return claim


def _stitched(checked: dict[int, Chunk | None], chunks: Chunks, job: int) -> Swept:
    swept = Swept()
    for number in range(chunks.count):
        index, _, last = chunks.locate(number)
        if index != job:
            continue
        chunk = checked.get(number)
        if chunk is None or chunk.first_prev != swept.last_hash:
            break
        swept.last_hash = chunk.last_hash
        swept.hashes_at.update(chunk.hashes_at)
        swept.next_seq = last + 1
    return swept


def _sweep_elsewhere(
    location: Location, chunks: Chunks, claimed: Synchronized[int], results: Connection
) -> None:
    """The second process: check the chunks it claims, send back what it found."""
    try:
        results.send(_sweep(location, chunks, _counter(claimed)))
    except OSError:
        results.close()


def _sweep(
    source: Store | Location, chunks: Chunks, claim: Callable[[], int]
) -> dict[int, Chunk | None]:
    """Check the chunks this process claims: a thread queries while this one hashes.

    A store itself (an in-memory one) is queried in this thread, a chunk at a time."""
    found: dict[int, Chunk | None] = {}
    fetched: queue.SimpleQueue[tuple[int, Row | None] | None] = queue.SimpleQueue()

    def fetch(store: Store) -> None:
        while (number := claim()) < chunks.count:
            index, low, high = chunks.locate(number)
            try:
                sql = _sql(chunks.jobs[index].chain, store.dialect)
                fetched.put((number, store.read(sql, (low, high))[0]))
            except StoreUnavailable:
                fetched.put((number, None))  # walked by chain.scan, which says why

    if isinstance(source, Store):
        fetch(source)
        fetched.put(None)
    else:
        threading.Thread(target=_fetch_all, args=(source, fetch, fetched), daemon=True).start()
    while (item := fetched.get()) is not None:
        number, row = item
        index, low, high = chunks.locate(number)
        found[number] = None if row is None else _checked(row, low, high, chunks.jobs[index].wanted)
    return found


def _fetch_all(
    location: Location,
    fetch: Callable[[Store], None],
    fetched: queue.SimpleQueue[tuple[int, Row | None] | None],
) -> None:
    try:
        store = open_store(location)
        try:
            fetch(store)
        finally:
            store.close()
    except StoreUnavailable:
        pass  # chunks not fetched are walked by chain.scan
    finally:
        fetched.put(None)


def _sql(chain: Chain, dialect: str) -> str:
    """One chunk: its seqs, how many records have well-formed hashes, the prev_hash
    values, the hash values and the canonical encodings (as bytes from SQLite)."""
    encoding = chain.encoding_sql(dialect)
    if dialect == "sqlite":
        return (
            "SELECT group_concat(seq, ','),"
            " sum(typeof(prev_hash) = 'text' AND length(prev_hash) = 64"
            " AND typeof(hash) = 'text' AND length(hash) = 64),"
            " CAST(group_concat(prev_hash, '') AS BLOB), CAST(group_concat(hash, '') AS BLOB),"
            f" CAST(group_concat({encoding}, char(10)) AS BLOB)"
            f" FROM {chain.table} WHERE seq BETWEEN ? AND ?"
        )
    return (  # text, not bytea: bytea would cross the wire in hex
        "SELECT string_agg(seq::text, ',' ORDER BY seq),"
        " count(*) FILTER (WHERE length(prev_hash) = 64 AND length(hash) = 64),"
        " string_agg(prev_hash, '' ORDER BY seq), string_agg(hash, '' ORDER BY seq),"
        f" string_agg({encoding}, chr(10) ORDER BY seq)"
        f" FROM {chain.table} WHERE seq BETWEEN ? AND ?"
    )


def _checked(row: Row, low: int, high: int, wanted: frozenset[int]) -> Chunk | None:
    """The chunk, if it holds on its own: every seq once and in order, every prev the
    hash before it, every hash SHA-256(prev + SHA-256(encoding)); else None."""
    seqs, well_formed, prevs, hashes, encodings = row
    size = high - low + 1
    if seqs != ",".join(map(str, range(low, high + 1))) or well_formed != size:
        return None
    # Canonical JSON escapes control characters: a newline only ever separates.
    encoded = _bytes(encodings).split(b"\n")
    prevs, hashes = _bytes(prevs), _bytes(hashes)
    if len(encoded) != size or prevs[_HEX:] != hashes[:-_HEX]:
        return None
    sha256, hexlify = hashlib.sha256, binascii.hexlify
    # chain.link for each record, on bytes: this line is verify's whole cost.
    linked = [
        hexlify(sha256(prevs[at : at + _HEX] + hexlify(sha256(text).digest())).digest())
        for at, text in zip(range(0, size * _HEX, _HEX), encoded, strict=True)
    ]
    if b"".join(linked) != hashes:
        return None
    hashes_at = {
        seq: hashes[(seq - low) * _HEX : (seq - low + 1) * _HEX].decode()
        for seq in wanted
        if low <= seq <= high
    }
    return Chunk(prevs[:_HEX].decode(), hashes[-_HEX:].decode(), hashes_at)


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)
