"""`licite ledger verify`: is the ledger exactly what was appended?

Checks, in order, and stops at the first fault:
1. the signed head: its signature, under this ledger's public key;
2. each chain (person records, then events): every record follows from the
   one before, and the chain ends exactly at the signed head (a record past it
   was inserted, a record missing before it was removed);
3. every signed checkpoint: its signature, and that the chain still holds the
   hash it signed (a rewritten chain no longer does);
4. every consent wording: its text still has the SHA-256 events refer to;
5. every event's rank among its person's events at the same instant (`tie`, which
   the chain does not cover: the batch scrub orders histories by it) follows the
   order in which they were appended.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from licite.i18n import Text
from licite.ledger.chain import EVENTS, PERSONS, Chain, Scan, scan_to_heads
from licite.ledger.crypto import signature_holds
from licite.ledger.errors import Tampered
from licite.ledger.journal import Head
from licite.ledger.sweep import Job

if TYPE_CHECKING:  # a helper process checking a chain imports this module, not the engine
    from licite.ledger.ledger import Ledger


@dataclass(frozen=True, slots=True)
class Verified:
    events: int
    persons: int
    checkpoints: int
    wordings: int


def verify(ledger: Ledger) -> Verified:
    """Raise `Tampered` naming the first fault; otherwise say what was checked."""
    store = ledger.store
    with store.snapshot():
        head = _signed_head(ledger)
        checkpoints = store.read(
            "SELECT id, event_seq, event_hash, person_seq, person_hash, signed_at_us, signature"
            " FROM checkpoints ORDER BY id"
        )
        jobs = [
            Job(PERSONS, head.person_seq, frozenset(int(str(c[3])) for c in checkpoints)),
            Job(EVENTS, head.event_seq, frozenset(int(str(c[1])) for c in checkpoints)),
        ]
        found_persons, found_events = scan_to_heads(store, jobs)
        persons = _chain(found_persons, PERSONS, head.person_seq, head.person_hash)
        events = _chain(found_events, EVENTS, head.event_seq, head.event_hash)
        _checkpoints(ledger, checkpoints, persons, events)
        wordings = _wordings(ledger)
        _ranks(ledger)
    return Verified(head.event_seq, head.person_seq, len(checkpoints), wordings)


def _signed_head(ledger: Ledger) -> Head:
    rows = ledger.store.read(
        "SELECT event_seq, event_hash, person_seq, person_hash, signed_at_us, signature"
        " FROM heads WHERE id = 1"
    )
    if not rows:
        raise Tampered(
            Text("la tête signée de la chaîne a disparu", "the signed chain head is gone")
        )
    *values, signature = rows[0]
    head = Head(*values)
    if not signature_holds(ledger.public_key, head.message(), signature):
        raise Tampered(
            Text(
                "la signature de la tête de chaîne ne correspond pas (tête modifiée ou clé"
                " de signature différente)",
                "the chain head's signature does not hold (head changed, or another signing key)",
            )
        )
    return head


def _chain(found: Scan, chain: Chain, head_seq: int, head_hash: str) -> Scan:
    if found.fault is not None:
        raise Tampered(found.fault)
    what = chain.what
    if found.last_seq < head_seq:
        raise Tampered(
            Text(
                f"{what.fr} n° {found.last_seq + 1} a été supprimé : la tête signée compte"
                f" {head_seq} enregistrements",
                f"{what.en} seq {found.last_seq + 1} was removed: the signed head counts"
                f" {head_seq} records",
            )
        )
    if found.last_hash != head_hash:
        raise Tampered(_rewritten(what, head_seq))
    return found


def _checkpoints(
    ledger: Ledger, checkpoints: list[tuple[object, ...]], persons: Scan, events: Scan
) -> None:
    for number, event_seq, event_hash, person_seq, person_hash, at_us, signature in checkpoints:
        head = Head(
            int(str(event_seq)),
            str(event_hash),
            int(str(person_seq)),
            str(person_hash),
            int(str(at_us)),
        )
        if not signature_holds(ledger.public_key, head.message(), str(signature)):
            raise Tampered(
                Text(
                    f"la signature du point de contrôle n° {number} ne correspond pas",
                    f"checkpoint {number}'s signature does not hold",
                )
            )
        if head.event_seq and events.hashes_at.get(head.event_seq) != head.event_hash:
            raise Tampered(_rewritten(EVENTS.what, head.event_seq))
        if head.person_seq and persons.hashes_at.get(head.person_seq) != head.person_hash:
            raise Tampered(_rewritten(PERSONS.what, head.person_seq))


def _rewritten(what: Text, seq: int) -> Text:
    return Text(
        f"la chaîne a été réécrite jusqu'à {what.fr} n° {seq} au moins : son empreinte"
        " n'est plus celle qui a été signée",
        f"the chain was rewritten up to {what.en} seq {seq} at least: its hash is no longer"
        " the one that was signed",
    )


def _wordings(ledger: Ledger) -> int:
    count = 0
    for sha, text in ledger.store.stream("SELECT sha256, text FROM wordings ORDER BY sha256"):
        count += 1
        if hashlib.sha256(str(text).encode()).hexdigest() != sha:
            raise Tampered(
                Text(
                    f"le texte de consentement {sha} a été modifié",
                    f"consent wording {sha} was changed",
                )
            )
    return count


_SHARED = "SELECT person_id, at_us FROM events GROUP BY person_id, at_us HAVING count(*) > 1"
_EARLIER = "f.person_id = e.person_id AND f.at_us = e.at_us AND f.seq < e.seq AND f.tie >= e.tie"


def _ranks(ledger: Ledger) -> None:
    """The first event whose `tie` is not above that of every event of its person at the
    same instant appended before it. Only instants shared by several events are read
    again, through `events_content` (a rank alone at its instant orders nothing; the
    scrub reads a negative or too large one in its wide positions)."""
    if ledger.store.dialect == "postgresql":  # one index probe a shared instant
        # Inside verify's snapshot (a transaction): the grouping in memory and on one
        # process, where PostgreSQL's defaults spill it to disk in every worker (0.7 s
        # against 0.35 s for 400 000 events).
        ledger.store.read("SET LOCAL work_mem = '256MB'")
        ledger.store.read("SET LOCAL max_parallel_workers_per_gather = 0")
        query = f"""WITH s AS ({_SHARED}) SELECT min(m.seq) FROM s CROSS JOIN LATERAL (
            SELECT e.seq FROM events e JOIN events f ON {_EARLIER}
            WHERE e.person_id = s.person_id AND e.at_us = s.at_us) m"""
    else:  # SQLite's planner probes the index for each shared instant by itself
        query = f"""WITH s AS ({_SHARED}) SELECT min(e.seq) FROM s
            JOIN events e ON e.person_id = s.person_id AND e.at_us = s.at_us
            JOIN events f ON {_EARLIER}"""
    rows = ledger.store.read(query)
    if rows and rows[0][0] is not None:
        seq = rows[0][0]
        raise Tampered(
            Text(
                f"événement n° {seq} (events.seq = {seq}) : son rang parmi les événements de"
                " la personne au même instant (events.tie) ne suit plus l'ordre d'ajout",
                f"event seq {seq} (events.seq = {seq}): its rank among the person's events at"
                " the same instant (events.tie) no longer follows the order of appending",
            )
        )
