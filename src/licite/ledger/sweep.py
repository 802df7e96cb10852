"""Checking a whole chain quickly, in chunks.

`chain.scan` needs to know that records 1…head are all there, in order, each
linked to the one before and matching its hash; walking them one by one costs
a Python round trip per record. Here a chunk of records is checked at once:

- SQLite assembles a chunk into three values: its seqs, how many of its
  records hold their hashes as text, and each record's `prev_hash`, `hash`
  and canonical encoding, one a line, in seq order. A thread of its own
  queries the database (SQLite works without Python's lock, so on the other
  core) while this one hashes; the checks are list comparisons and the two
  SHA-256 of each record.
- PostgreSQL checks a chunk itself: the server has SHA-256, so it computes
  every link and returns only a count of those that hold and how the chunk
  begins and ends. Two connections check chunks at once.

This only ever concludes "intact up to here": at the first chunk with any
mismatch it stops, and `chain.scan` walks from there to name the fault.
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from licite.errors import StoreUnavailable
from licite.ledger.config import Location
from licite.ledger.schema import GENESIS
from licite.ledger.store import Row, Store, open_store

if TYPE_CHECKING:
    from licite.ledger.chain import Chain

CHUNK = 8192
"""Records per query."""
WORKERS = 2
"""PostgreSQL connections checking chunks at once (one per core of the reference machine)."""
_AHEAD = 4
"""Chunks fetched from SQLite and not yet hashed (memory: ~4 MB each)."""
_SWITCH = 0.0005
"""Seconds a thread holds Python's lock before handing it over, while SQLite is read:
the reading thread then waits half a millisecond for it, not five."""


@dataclass(frozen=True, slots=True)
class Job:
    """A chain to check, records 1…head, and the seqs whose hash is wanted."""

    chain: Chain
    head: int
    wanted: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Chunks:
    """The chunks of every job, numbered in one sequence that the workers share."""

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


Checked = dict[int, "Chunk | None"]
"""Chunks by number; None for one that does not hold on its own (or was not read)."""


def sweep(store: Store, jobs: Sequence[Job]) -> list[Swept]:
    """Each job's records checked in chunks, up to its first chunk that does not hold."""
    chunks = Chunks(tuple(jobs), CHUNK)
    if store.dialect == "postgresql":
        checked = _on_the_server(store.location, chunks)
    else:
        queries = {job.chain.table: _sql(store, job.chain) for job in jobs}
        if store.location.in_memory:  # only this connection sees it
            checked = _in_memory(store, chunks, queries)
        else:
            checked = _fetched(store.location, chunks, queries)
    return [_stitched(checked, chunks, index) for index in range(len(jobs))]


def _stitched(checked: Checked, chunks: Chunks, job: int) -> Swept:
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


def _in_memory(store: Store, chunks: Chunks, queries: dict[str, str]) -> Checked:
    checked: Checked = {}
    for number in range(chunks.count):
        index, low, high = chunks.locate(number)
        job = chunks.jobs[index]
        try:
            row = store.read(queries[job.chain.table], (low, high))[0]
        except StoreUnavailable:
            break  # walked by chain.scan, which says why
        checked[number] = _checked(row, low, high, job.wanted)
    return checked


def _fetched(location: Location, chunks: Chunks, queries: dict[str, str]) -> Checked:
    """SQLite: a thread of its own fetches the chunks, in order, while this one hashes.

    The two are about as costly (SQLite's half a little more), and SQLite works
    without Python's lock: on two cores, both go at full speed. (A second fetching
    thread, or a second process, only adds a third runner for two cores.)"""
    checked: Checked = {}
    fetched: queue.SimpleQueue[tuple[int, Row] | None] = queue.SimpleQueue()
    room = threading.Semaphore(_AHEAD)

    def fetch(store: Store) -> None:
        for number in range(chunks.count):
            room.acquire()
            index, low, high = chunks.locate(number)
            try:
                sql = queries[chunks.jobs[index].chain.table]
                fetched.put((number, store.read(sql, (low, high))[0]))
            except StoreUnavailable:
                return  # the rest is walked by chain.scan, which says why

    with _prompt_handover():
        worker = _start(location, fetch, lambda: fetched.put(None))
        while (item := fetched.get()) is not None:
            number, row = item
            index, low, high = chunks.locate(number)
            checked[number] = _checked(row, low, high, chunks.jobs[index].wanted)
            room.release()
        worker.join()
    return checked


@contextmanager
def _prompt_handover() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, _SWITCH))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _on_the_server(location: Location, chunks: Chunks) -> Checked:
    """PostgreSQL: worker threads have the server check the chunks they claim."""
    checked: Checked = {}
    claim = itertools.count().__next__

    def check(store: Store) -> None:
        while (number := claim()) < chunks.count:
            index, low, high = chunks.locate(number)
            job = chunks.jobs[index]
            wanted = sorted(seq for seq in job.wanted if low <= seq <= high)
            try:
                row = store.read(_server_sql(job.chain), (low, high, wanted, low, low, high))[0]
            except StoreUnavailable:
                continue  # walked by chain.scan, which says why
            checked[number] = _summary(row, low, high)

    workers = [_start(location, check, lambda: None) for _ in range(WORKERS)]
    for worker in workers:
        worker.join()
    return checked


def _start(
    location: Location, work: Callable[[Store], None], done: Callable[[], None]
) -> threading.Thread:
    """A daemon thread running `work` on a connection of its own, then `done`."""

    def run() -> None:
        try:
            store = open_store(location)
            try:
                work(store)
            finally:
                store.close()
        except StoreUnavailable:
            pass  # chunks not checked are walked by chain.scan
        finally:
            done()

    thread = threading.Thread(target=run, name="licite-verify", daemon=True)
    thread.start()
    return thread


def _sql(store: Store, chain: Chain) -> str:
    """One SQLite chunk, records low…high: a proof that they are exactly those seqs, in
    order; how many hold their values as they were written (hashes as text, not BLOB:
    any text sorts before any BLOB, and a comparison costs less than typeof()); then,
    for each record in seq order, its prev_hash, hash and canonical encoding, one a line
    (as bytes).

    Where seq is the table's rowid (events), the proof is a count: a scan of a rowid
    range returns rowids in order, each once, so low…high are all there and in order
    when there are high - low + 1 of them; checking that seq is the rowid costs less
    than listing the seqs, a fifth of the reading. Elsewhere (persons), or where a
    column's name hides the rowid, the proof is the seqs themselves, as read."""
    lines = (
        f"CAST(group_concat(prev_hash || '\n' || hash || '\n' || {chain.encoding_sql('sqlite')},"
        " '\n') AS BLOB)"
    )
    if _seq_is_rowid(store, chain.table):
        return (
            f"SELECT count(*), sum(_rowid_ = seq AND prev_hash < x'' AND hash < x''), {lines}"
            f" FROM {chain.table} NOT INDEXED WHERE _rowid_ BETWEEN ? AND ?"
        )
    return (
        f"SELECT group_concat(seq, ','), sum(prev_hash < x'' AND hash < x''), {lines}"
        f" FROM {chain.table} WHERE seq BETWEEN ? AND ?"
    )


def _seq_is_rowid(store: Store, table: str) -> bool:
    """Whether `seq` is the table's INTEGER PRIMARY KEY, and `_rowid_` names the rowid."""
    try:
        columns = store.read(f"PRAGMA table_info({table})")
    except StoreUnavailable:
        return False
    names = {str(name).lower() for _, name, *_ in columns}
    keys = [(str(name), str(kind).upper()) for _, name, kind, _, _, key in columns if key]
    return not names & {"rowid", "_rowid_", "oid"} and keys == [("seq", "INTEGER")]


def _checked(row: Row, low: int, high: int, wanted: frozenset[int]) -> Chunk | None:
    """The chunk, if it holds on its own: every seq once and in order, every prev the
    hash before it, every hash SHA-256(prev + SHA-256(encoding)); else None."""
    seqs, holding, lines = row
    size = high - low + 1
    # The proof of its seqs (see `_sql`): a count, or the seqs themselves.
    expected = size if isinstance(seqs, int) else ",".join(map(str, range(low, high + 1)))
    if holding != size or seqs != expected:
        return None
    # Canonical JSON escapes control characters, and a NULL drops its record's lines:
    # with exactly three lines a record, no value holds a newline and each is whole.
    parts = _bytes(lines).split(b"\n")
    if len(parts) != 3 * size:
        return None
    prevs, stored, encoded = parts[0::3], parts[1::3], parts[2::3]
    if prevs[1:] != stored[:-1]:  # each prev is the hash before it
        return None
    sha256, hexlify = hashlib.sha256, binascii.hexlify
    # chain.link for each record, on bytes: this line is verify's whole cost.
    linked = [
        hexlify(sha256(prev + hexlify(sha256(text).digest())).digest())
        for prev, text in zip(prevs, encoded, strict=True)
    ]
    if linked != stored:
        return None
    hashes_at = {seq: stored[seq - low].decode() for seq in wanted if low <= seq <= high}
    # The first prev is only compared, with the chunk before: it may be any bytes.
    return Chunk(prevs[0].decode(errors="replace"), stored[-1].decode(), hashes_at)


def _server_sql(chain: Chain) -> str:
    """One PostgreSQL chunk, checked by the server: how many records there are and how
    many hold (the first one is seq `low`, each other one follows the one before by
    seq and by prev_hash, and each hash is SHA-256(prev + SHA-256(encoding)), in hex);
    the first record's prev_hash and the last one's hash; `seq:hash` of the wanted
    seqs. Parameters: low, high, wanted, low, low, high.

    Each link is computed as the rows are read, so that only narrow rows are ordered
    for the window that compares each record with the one before."""
    own = f"encode(sha256(convert_to({chain.encoding_sql('postgresql')}, 'UTF8')), 'hex')"
    return (
        "SELECT count(*), count(*) FILTER (WHERE holds),"
        " max(prev_hash) FILTER (WHERE seq = ?), max(hash) FILTER (WHERE seq = ?),"
        " string_agg(seq || ':' || hash, ',') FILTER (WHERE seq = ANY(?::bigint[]))"
        " FROM (SELECT seq, prev_hash, hash, linked AND CASE"
        " WHEN row_number() OVER w = 1 THEN seq = ?"
        " ELSE seq = lag(seq) OVER w + 1 AND prev_hash = lag(hash) OVER w END AS holds"
        " FROM (SELECT seq, prev_hash, hash,"
        f" hash = encode(sha256(convert_to(prev_hash || {own}, 'UTF8')), 'hex') AS linked"
        f" FROM {chain.table} WHERE seq BETWEEN ? AND ? ORDER BY seq) scanned"
        " WINDOW w AS (ORDER BY seq)) checked"
    )


def _summary(row: Row, low: int, high: int) -> Chunk | None:
    count, holding, first_prev, last_hash, wanted = row
    size = high - low + 1
    if count != size or holding != size or first_prev is None or last_hash is None:
        return None
    hashes_at: dict[int, str] = {}
    for pair in str(wanted).split(",") if wanted else ():
        seq, _, found = pair.partition(":")
        hashes_at[int(seq)] = found
    return Chunk(str(first_prev), str(last_hash), hashes_at)


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)
