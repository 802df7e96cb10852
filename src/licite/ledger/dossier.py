"""A person's dossier: what a DPO sends on an access request (GDPR art. 15) or to
the CNIL on an inspection (art. 7(1): proof of each consent).

It holds the person's data (decrypted, unless erased), every event with its
proof (form, wording text, evidence, recorded by whom), what the mail gateway did with
each message to them (`deliveries`), and an inclusion proof:
each event's canonical encoding and hash, the digests of every other record
between the person's first event and the nearest signed checkpoint (or the
signed head), and that signature — enough for a third party holding the
public key to check the events are in the chain, without seeing anyone else's.
"""

from __future__ import annotations

import json
from typing import Any

from licite.ledger.chain import EVENTS, digest
from licite.ledger.crypto import unseal
from licite.ledger.deliveries import for_person
from licite.ledger.journal import Head
from licite.ledger.ledger import Ledger
from licite.ledger.rows import CHAINED_COLUMNS, READ_SELECT, event_dict
from licite.ledger.schema import EPOCHS
from licite.moments import iso, moment_of_micros


def dossier(ledger: Ledger, person_id: str) -> dict[str, Any]:
    person = ledger.person(person_id)
    store = ledger.store
    with store.snapshot():
        rows = store.read(
            f"SELECT seq, prev_hash, hash, {EVENTS.encoding_sql(store.dialect)}, {READ_SELECT},"
            " proof_form, proof_wording, proof_recorded_by, proof_evidence, recorded_at_us"
            " FROM events WHERE person_id = ? ORDER BY at_us, seq",
            (person_id,),
        )
        wordings = _wordings(ledger, {r[-4] for r in rows if r[-4]})
        key = _key(ledger, person_id)
        events = [_event(person_id, r, wordings, key) for r in rows]
        proof = _inclusion(ledger, [r[0] for r in rows])
    return {
        "person": {
            "id": person.id,
            "kind": person.kind,
            "email": person.email,
            "phone": person.phone,
            "postal_code": person.postal_code,
            "email_hash": person.email_hash,
            "phone_hash": person.phone_hash,
            "erased_at": None
            if person.erased_at_us is None
            else iso(moment_of_micros(person.erased_at_us)),
        },
        "events": events,
        "messages": for_person(ledger, person.id, person.email_hash),
        "chain": proof,
    }


def _key(ledger: Ledger, person_id: str) -> bytes | None:
    epoch = "epoch" if ledger.epochs.schema >= EPOCHS else "0"
    rows = ledger.store.read(
        f"SELECT wrapped, {epoch} FROM person_keys WHERE person_id = ?", (person_id,)
    )
    return ledger.epochs.unwrap(person_id, rows[0][0], rows[0][1]) if rows else None


def _wordings(ledger: Ledger, shas: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for sha in sorted(shas):
        rows = ledger.store.read("SELECT text FROM wordings WHERE sha256 = ?", (sha,))
        if rows:
            found[sha] = rows[0][0]
    return found


def _event(
    person_id: str, row: tuple[Any, ...], wordings: dict[str, str], key: bytes | None
) -> dict[str, Any]:
    seq, prev_hash, stored_hash, encoded = row[:4]
    form, wording, recorded_by, evidence, recorded_at_us = row[-5:]
    out: dict[str, Any] = {"seq": seq, **event_dict(row[4:-5])}
    if form or wording or recorded_by or evidence:
        out["proof"] = {
            "form": form,
            "wording_sha256": wording,
            "wording_text": wordings.get(wording) if wording else None,
            "recorded_by": recorded_by,
            "evidence": _evidence(person_id, evidence, key),
        }
    out["recorded_at"] = iso(moment_of_micros(recorded_at_us))
    out["chain"] = {"prev_hash": prev_hash, "encoding": encoded, "hash": stored_hash}
    return out


def _evidence(person_id: str, token: str | None, key: bytes | None) -> Any:
    if token is None:
        return None
    if key is None:
        return "erased"
    return json.loads(unseal(key, person_id, "evidence", token))


def _inclusion(ledger: Ledger, seqs: list[int]) -> dict[str, Any]:
    store = ledger.store
    head_row = store.read(
        "SELECT event_seq, event_hash, person_seq, person_hash, signed_at_us, signature, state"
        " FROM heads WHERE id = 1"
    )[0]
    if not seqs:
        first = last = head_row[0]
    else:
        first, last = min(seqs), max(seqs)
    checkpoint = store.read(
        "SELECT event_seq, event_hash, person_seq, person_hash, signed_at_us, signature, id"
        " FROM checkpoints WHERE event_seq >= ? ORDER BY event_seq LIMIT 1",
        (last,),
    )
    anchor = checkpoint[0] if checkpoint else head_row
    head = Head.from_row(anchor[:5])
    if checkpoint:
        message = head.checkpoint_message(int(anchor[6]))
    else:
        message = head.head_message(str(anchor[6]))
    start = max(first - 1, 0)
    segment = store.read(
        f"SELECT seq, {EVENTS.encoding_sql(store.dialect)} FROM events"
        " WHERE seq > ? AND seq <= ? ORDER BY seq",
        (start, head.event_seq),
    )
    before = store.read("SELECT hash FROM events WHERE seq = ?", (start,)) if start else []
    return {
        "algorithm": "hash = sha256(prev_hash + sha256(encoding)), hex; encoding = compact JSON"
        f" array of the columns {', '.join(CHAINED_COLUMNS)}",
        "start_hash": before[0][0] if before else "0" * 64,
        "digests": [[seq, digest(encoded)] for seq, encoded in segment],
        "signed": {
            "kind": "checkpoint" if checkpoint else "head",
            "message": message,
            "signature": anchor[5],
            "public_key": ledger.public_key,
        },
    }
