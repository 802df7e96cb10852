"""The hash chains: how a record is linked to the one before, and how to check it.

A record's hash is SHA-256 over the previous record's hash followed by the
digest (SHA-256, hex) of the canonical encoding of every stored column
(compact JSON array, see `rows.ENCODE`). Hashing a digest rather than the
encoding lets a person's dossier prove its events sit in the chain by showing
only the digests of the other records in between, not their content. The
encoding is computed in Python when appending and by the database itself
when verifying (SQLite's json_array, PostgreSQL's to_json),
so `verify` reads only a digest-ready string per record.

Seq numbers are not hashed: the order is the chain itself, so moving a record
shows up as a broken link, and its kind (removed, inserted, reordered) is read
from where the links lead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from licite.i18n import Text
from licite.ledger.rows import BOOLEAN_COLUMNS, CHAINED_COLUMNS
from licite.ledger.schema import GENESIS
from licite.ledger.store import Row, Store
from licite.ledger.sweep import Job, sweep

PERSON_CHAINED_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "email_hash",
    "phone_hash",
    "email_sealed",
    "phone_sealed",
    "postal_code_sealed",
    "recorded_at_us",
)
_LOOKAHEAD = 1000


def digest(encoded: str) -> str:
    """A record's own digest: what an inclusion proof shows of other people's records."""
    return hashlib.sha256(encoded.encode()).hexdigest()


def link(prev_hash: str, encoded: str) -> str:
    return hashlib.sha256((prev_hash + digest(encoded)).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Chain:
    """One chained table and how its records are named in messages."""

    table: str
    columns: tuple[str, ...]
    what: Text  # "event" / "événement"

    def encoding_sql(self, dialect: str) -> str:
        if dialect == "sqlite":
            return f"json_array({', '.join(self.columns)})"
        parts = [
            f"COALESCE(to_json({c}{'::int' if c in BOOLEAN_COLUMNS else ''})::text, 'null')"
            for c in self.columns
        ]
        return f"'[' || concat_ws(',', {', '.join(parts)}) || ']'"

    def scan_sql(self, dialect: str, where: str = "") -> str:
        return (
            f"SELECT seq, prev_hash, hash, {self.encoding_sql(dialect)} FROM {self.table}"
            f" {where} ORDER BY seq"
        )


EVENTS = Chain("events", CHAINED_COLUMNS, Text("l'événement", "event"))
PERSONS = Chain("persons", PERSON_CHAINED_COLUMNS, Text("la fiche personne", "person record"))


@dataclass(frozen=True, slots=True)
class Scan:
    """What a chain scan found: its length, the hashes at the seqs asked for, its first fault."""

    last_seq: int
    last_hash: str
    hashes_at: dict[int, str]
    fault: Text | None


def scan(store: Store, chain: Chain, wanted: frozenset[int] = frozenset()) -> Scan:
    """Walk the whole chain in seq order; at the first fault, stop and say what it is."""
    return _walk(store, chain, 1, GENESIS, wanted, None)


def scan_to_heads(store: Store, jobs: Sequence[Job]) -> list[Scan]:
    """Each chain checked up to its signed head, past which a record was inserted.

    The chains are checked in chunks (`sweep`), and walked record by record only
    from the first chunk that does not hold, to name the fault."""
    scans = []
    for job, swept in zip(jobs, sweep(store, jobs), strict=True):
        walked = _walk(store, job.chain, swept.next_seq, swept.last_hash, job.wanted, job.head)
        hashes_at = {**swept.hashes_at, **walked.hashes_at}
        scans.append(Scan(walked.last_seq, walked.last_hash, hashes_at, walked.fault))
    return scans


def _walk(
    store: Store,
    chain: Chain,
    start: int,
    start_prev: str,
    wanted: frozenset[int],
    head: int | None,
) -> Scan:
    expected_seq, expected_prev = start, start_prev
    hashes_at: dict[int, str] = {}
    bounds = f"WHERE seq >= {start}" + ("" if head is None else f" AND seq <= {head + 1}")
    rows: Iterator[Row] = store.stream(chain.scan_sql(store.dialect, bounds))
    sha256 = hashlib.sha256
    for seq, prev, stored, encoded in rows:
        if seq != expected_seq:
            return Scan(expected_seq - 1, expected_prev, hashes_at, _removed(chain, expected_seq))
        if head is not None and seq > head:
            return Scan(seq - 1, expected_prev, hashes_at, _past_head(chain, seq, head))
        # link(), inlined.
        own = sha256(encoded.encode()).hexdigest()
        if prev != expected_prev or sha256((prev + own).encode()).hexdigest() != stored:
            return Scan(
                seq - 1, expected_prev, hashes_at, _diagnose(store, chain, seq, expected_prev)
            )
        if seq in wanted:
            hashes_at[seq] = stored
        expected_seq, expected_prev = seq + 1, stored
    return Scan(expected_seq - 1, expected_prev, hashes_at, None)


def _diagnose(store: Store, chain: Chain, seq: int, expected_prev: str) -> Text:
    """Seq `seq` does not follow from the record before it: say why."""
    bounds = f"WHERE seq >= {seq - 1} AND seq < {seq + _LOOKAHEAD}"
    window = store.read(chain.scan_sql(store.dialect, bounds))
    current = next(r for r in window if r[0] == seq)
    consistent = _consistent(current)
    successor = next((r for r in window if r[0] > seq and r[1] == expected_prev), None)
    if successor is not None:
        # The chain resumes further on from the last good record: what lies between
        # either came from elsewhere in the chain (reordered) or from nowhere (inserted).
        hashes = {r[2] for r in window}
        if consistent and current[1] in hashes:
            return _fault(chain, seq, Text("déplacé", "reordered"), _moved_detail(successor[0]))
        return _fault(chain, seq, Text("inséré", "inserted"), _inserted_detail(successor[0]))
    if not consistent:
        return _fault(chain, seq, Text("modifié", "changed"), _changed_detail())
    before = [r for r in window if r[0] == seq - 1]
    if before and before[0][1] == current[1]:
        return _fault(chain, seq - 1, Text("inséré", "inserted"), _inserted_detail(seq))
    gone = Text("précédé d'un enregistrement supprimé", "preceded by a removed record")
    return _fault(chain, seq, gone, _removed_detail())


def _consistent(row: Row) -> bool:
    """Whether a record's hash follows from its own prev_hash and content (values edited
    into another type, a BLOB say, never do)."""
    _, prev, stored, encoded = row
    return isinstance(prev, str) and isinstance(encoded, str) and link(prev, encoded) == stored


def _fault(chain: Chain, seq: int, what: Text, detail: Text) -> Text:
    return Text(
        f"{chain.what.fr} n° {seq} ({chain.table}.seq = {seq}) a été {what.fr} : {detail.fr}",
        f"{chain.what.en} seq {seq} ({chain.table}.seq = {seq}) was {what.en}: {detail.en}",
    )


def _removed(chain: Chain, seq: int) -> Text:
    return _fault(
        chain, seq, Text("supprimé", "removed"), Text("ce numéro manque", "this seq is missing")
    )


def _past_head(chain: Chain, seq: int, head: int) -> Text:
    return _fault(
        chain,
        seq,
        Text("inséré", "inserted"),
        Text(f"la tête signée s'arrête au n° {head}", f"the signed head ends at seq {head}"),
    )


def _changed_detail() -> Text:
    return Text(
        "son contenu ne correspond plus à son empreinte",
        "its content no longer matches its hash",
    )


def _inserted_detail(next_seq: int) -> Text:
    return Text(
        f"la chaîne reprend au n° {next_seq} sans passer par lui",
        f"the chain resumes at seq {next_seq} without going through it",
    )


def _moved_detail(other: int) -> Text:
    return Text(
        f"il suivait un enregistrement désormais placé après lui ; le n° {other} venait avant",
        f"it followed a record now placed after it; seq {other} came before it",
    )


def _removed_detail() -> Text:
    return Text(
        "il désigne comme précédent un enregistrement qui n'existe plus",
        "it names as its predecessor a record that no longer exists",
    )
