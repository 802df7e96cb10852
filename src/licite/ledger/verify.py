"""`licite ledger verify`: is the ledger exactly what was appended?

Checks, in order, and stops at the first fault:
1. the signed head: its signature, under this ledger's public key, over a head's
   message (a checkpoint's signature does not pass for it, schema v5);
2. every signed checkpoint: its signature over a checkpoint's message naming its
   number, numbers 1, 2, 3… without a gap; and the head not older than any of
   them (a ledger cut back, an old head put back, is: said before the chains, as
   the better account of what their ends then show);
3. each chain (person records, then events): every record follows from the
   one before, and the chain ends exactly at the signed head (a record past it
   was inserted, a record missing before it was removed); the chain still holds
   the hash each checkpoint signed (a rewritten chain no longer does);
4. every consent wording: its text still has the SHA-256 events refer to;
5. every event's rank among its person's events at the same instant (`tie`, which
   the chain does not cover: the batch scrub orders histories by it) follows the
   order in which they were appended;
6. the tables the chains do not cover (`state.py`): `meta`, the erasure marks, the
   suppression records and the opposition lists still have the summary the head
   signed, and agree with each other (`covered.py`);
7. with a witness log (`witness.py`): the ledger holds everything witnessed and is
   not behind its last witnessed head.

What no check of the store alone can see: the whole store replaced by an older
copy of itself, or a history rewritten and signed again with the signing key.
Only a witness, kept where the store's writers cannot write, catches those.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from licite.errors import Tampered
from licite.i18n import Text
from licite.ledger.chain import EVENTS, PERSONS, Chain, Scan, scan_to_heads
from licite.ledger.covered import check_covered
from licite.ledger.crypto import signature_holds
from licite.ledger.journal import Head
from licite.ledger.schema import SIGNED_STATE
from licite.ledger.state import State
from licite.ledger.sweep import Job
from licite.ledger.witness import Witnessed, WitnessLog, check_witness

if TYPE_CHECKING:  # a helper process checking a chain imports this module, not the engine
    from licite.ledger.ledger import Ledger


@dataclass(frozen=True, slots=True)
class Verified:
    events: int
    persons: int
    checkpoints: int
    wordings: int
    witnessed: Witnessed | None = None


UNSEEN_WITHOUT_WITNESS = Text(
    "sans témoin (--witness), verify ne peut pas voir que tout le registre a été ramené en"
    " arrière ou remplacé par une copie plus ancienne, ni qu'un historique a été réécrit et"
    " signé de nouveau avec la clé de signature (docs/security.md : licite ledger witness)",
    "without a witness (--witness), verify cannot see that the whole ledger was rolled back"
    " or replaced by an older copy, nor that a history was rewritten and signed again with"
    " the signing key (docs/security.md: licite ledger witness)",
)
"""What `verify` says after "intact" when it had no witness to compare with."""


def witnessed_text(found: Witnessed, log: object) -> Text:
    when = (
        datetime.fromtimestamp(found.head.signed_at_us / 1e6, UTC).isoformat(timespec="seconds")
        if found.head
        else "—"
    )
    return Text(
        f"témoin {log} : ses {found.checkpoints} point(s) de contrôle et sa dernière tête"
        f" ({when}) sont dans le registre ; ce qui a changé depuis, lui seul ne le voit pas",
        f"witness {log}: its {found.checkpoints} checkpoint(s) and its last head ({when})"
        " are in the ledger; what changed since, it alone cannot see",
    )


def beside_database(ledger: Ledger, path: Path | None) -> bool:
    """Whether `path` lies in the SQLite database's folder (or below it), within reach of
    whoever can write the database."""
    location = ledger.location
    if location.dialect != "sqlite" or location.in_memory or path is None:
        return False
    return path.resolve().is_relative_to(Path(location.path).resolve().parent)


def key_warnings(ledger: Ledger) -> list[Text]:
    """A signing key in the SQLite database's folder can be read, or replaced, by whoever
    can write the database: they can then rewrite its history and sign it again."""
    location, key = ledger.location, ledger.keys.signing_file
    if not beside_database(ledger, key):
        return []
    return [
        Text(
            f"attention : la clé de signature {key} est à côté de la base {location.path} :"
            " qui peut écrire la base peut aussi réécrire son historique et le signer."
            " Placez-la hors de sa portée (LICITE_SIGNING_KEY_FILE, docs/security.md)",
            f"warning: the signing key {key} lies beside the database {location.path}:"
            " whoever can write the database can also rewrite its history and sign it."
            " Keep it out of their reach (LICITE_SIGNING_KEY_FILE, docs/security.md)",
        )
    ]


def witness_warnings(ledger: Ledger, log: Path) -> list[Text]:
    """A witness log in the database's folder is within reach of the very people it is
    meant to be kept from."""
    if not beside_database(ledger, log):
        return []
    return [
        Text(
            f"attention : le journal de témoin {log} est à côté de la base"
            f" {ledger.location.path} : qui peut écrire la base peut aussi le supprimer."
            " Gardez-le ailleurs (un autre volume, le partage d'une autre machine)",
            f"warning: the witness log {log} lies beside the database"
            f" {ledger.location.path}: whoever can write the database can delete it too."
            " Keep it elsewhere (another volume, another machine's share)",
        )
    ]


def verify(ledger: Ledger, witness: WitnessLog | None = None) -> Verified:
    """Raise `Tampered` naming the first fault; otherwise say what was checked."""
    store = ledger.store
    signed_state = ledger.journal.schema >= SIGNED_STATE
    with store.snapshot():
        head, state = _signed_head(ledger, signed_state)
        checkpoints = store.read(
            "SELECT id, event_seq, event_hash, person_seq, person_hash, signed_at_us, signature"
            " FROM checkpoints ORDER BY id"
        )
        _checkpoint_signatures(ledger, checkpoints, signed_state)
        _not_older_than_checkpoints(head, checkpoints)
        seen = witness.seqs() if witness else (frozenset(), frozenset())
        jobs = [
            Job(PERSONS, head.person_seq, frozenset(int(str(c[3])) for c in checkpoints) | seen[0]),
            Job(EVENTS, head.event_seq, frozenset(int(str(c[1])) for c in checkpoints) | seen[1]),
        ]
        found_persons, found_events = scan_to_heads(store, jobs)
        persons = _chain(found_persons, PERSONS, head.person_seq, head.person_hash)
        events = _chain(found_events, EVENTS, head.event_seq, head.event_hash)
        _checkpoint_hashes(checkpoints, persons, events)
        wordings = _wordings(ledger)
        _ranks(ledger)
        if signed_state:
            check_covered(ledger, State.parse(state))
        witnessed = None
        if witness is not None:
            witnessed = check_witness(ledger, witness, head, checkpoints, persons, events)
    return Verified(head.event_seq, head.person_seq, len(checkpoints), wordings, witnessed)


def _signed_head(ledger: Ledger, signed_state: bool) -> tuple[Head, str]:
    state_column = "state" if signed_state else "''"
    rows = ledger.store.read(
        "SELECT event_seq, event_hash, person_seq, person_hash, signed_at_us, signature,"
        f" {state_column} FROM heads WHERE id = 1"
    )
    if not rows:
        raise Tampered(
            Text("la tête signée de la chaîne a disparu", "the signed chain head is gone")
        )
    *values, signature, state = rows[0]
    head = Head.from_row(values)
    message = head.head_message(str(state)) if signed_state else head.legacy_message()
    if not signature_holds(ledger.public_key, message, signature):
        raise Tampered(
            Text(
                "la signature de la tête de chaîne ne correspond pas (tête modifiée, signature"
                " d'un point de contrôle mise à sa place, ou clé de signature différente)",
                "the chain head's signature does not hold (head changed, a checkpoint's"
                " signature put in its place, or another signing key)",
            )
        )
    return head, str(state)


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


def _checkpoint_signatures(
    ledger: Ledger, checkpoints: list[tuple[object, ...]], signed_state: bool
) -> None:
    for expected, row in enumerate(checkpoints, start=1):
        number, signature = int(str(row[0])), row[6]
        if number != expected:
            raise Tampered(
                Text(
                    f"le point de contrôle n° {expected} a disparu (le suivant est le n° {number})",
                    f"checkpoint {expected} is gone (the next one is checkpoint {number})",
                )
            )
        head = Head.from_row(row[1:6])
        message = head.checkpoint_message(number) if signed_state else head.legacy_message()
        if not signature_holds(ledger.public_key, message, str(signature)):
            raise Tampered(
                Text(
                    f"la signature du point de contrôle n° {number} ne correspond pas",
                    f"checkpoint {number}'s signature does not hold",
                )
            )


def _checkpoint_hashes(checkpoints: list[tuple[object, ...]], persons: Scan, events: Scan) -> None:
    for row in checkpoints:
        head = Head.from_row(row[1:6])
        if head.event_seq and events.hashes_at.get(head.event_seq) != head.event_hash:
            raise Tampered(_rewritten(EVENTS.what, head.event_seq))
        if head.person_seq and persons.hashes_at.get(head.person_seq) != head.person_hash:
            raise Tampered(_rewritten(PERSONS.what, head.person_seq))


def _not_older_than_checkpoints(head: Head, checkpoints: list[tuple[object, ...]]) -> None:
    """Every commit moves the head; a checkpoint is the head of one commit. A head behind
    a checkpoint is an old head put back (the ledger cut back after it was signed)."""
    for row in checkpoints:
        signed = Head.from_row(row[1:6])
        if not (
            signed.event_seq <= head.event_seq
            and signed.person_seq <= head.person_seq
            and signed.signed_at_us <= head.signed_at_us
        ):
            number = row[0]
            raise Tampered(
                Text(
                    f"la tête signée ({head.event_seq} événement(s), {head.person_seq} fiche(s))"
                    f" est plus ancienne que le point de contrôle n° {number}"
                    f" ({signed.event_seq} événement(s), {signed.person_seq} fiche(s)) :"
                    " le registre a été ramené en arrière",
                    f"the signed head ({head.event_seq} event(s), {head.person_seq} record(s))"
                    f" is older than checkpoint {number} ({signed.event_seq} event(s),"
                    f" {signed.person_seq} record(s)): the ledger was rolled back",
                )
            )


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
