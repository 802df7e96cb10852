"""Signed checkpoints: the chain's state, signed, for a third party to hold.

Whoever holds an exported checkpoint file and the public key can later show
that the ledger still contains exactly what it contained then: `verify
--against FILE` compares the chain with the held checkpoints.
"""

from __future__ import annotations

from typing import Any

from licite.errors import Tampered
from licite.i18n import Text
from licite.ledger.chain import EVENTS, PERSONS, scan
from licite.ledger.crypto import signature_holds
from licite.ledger.journal import Batch, Head
from licite.ledger.ledger import Ledger

FORMAT = "licite-checkpoints/1"


def checkpoint_now(ledger: Ledger) -> None:
    ledger.journal.commit(Batch(checkpoint=True))


def export_checkpoints(ledger: Ledger) -> dict[str, Any]:
    rows = ledger.store.read(
        "SELECT id, event_seq, event_hash, person_seq, person_hash, signed_at_us, public_key,"
        " signature FROM checkpoints ORDER BY id"
    )
    names = ("id", "event_seq", "event_hash", "person_seq", "person_hash", "signed_at_us")
    return {
        "format": FORMAT,
        "public_key": ledger.public_key,
        "checkpoints": [
            {
                **dict(zip(names, r[:6], strict=True)),
                "message": Head.from_row(r[1:6]).checkpoint_message(int(r[0])),
                "public_key": r[6],
                "signature": r[7],
            }
            for r in rows
        ],
    }


def check_against(ledger: Ledger, held: Any) -> int:
    """Check the chain against checkpoints held elsewhere; returns how many were checked."""
    if not isinstance(held, dict) or held.get("format") != FORMAT:
        raise Tampered(
            Text(
                f"--against : fichier de points de contrôle {FORMAT} attendu",
                f"--against: expected a {FORMAT} checkpoint file",
            )
        )
    items = held.get("checkpoints") or []
    heads = [_head(item) for item in items]
    events = scan(ledger.store, EVENTS, frozenset(h.event_seq for h, _, _ in heads))
    persons = scan(ledger.store, PERSONS, frozenset(h.person_seq for h, _, _ in heads))
    for found in (events, persons):
        if found.fault is not None:
            raise Tampered(found.fault)
    for head, number, signature in heads:
        public_key = str(held.get("public_key"))
        # A file exported before schema v5 holds signatures of the old, shared message:
        # still the third party's own copy, so still good evidence of what the chain held.
        if not any(
            signature_holds(public_key, message, signature)
            for message in (head.checkpoint_message(number), head.legacy_message())
        ):
            raise Tampered(
                Text("signature invalide dans le fichier", "invalid signature in the file")
            )
        for found, seq, expected, what in (
            (events, head.event_seq, head.event_hash, EVENTS.what),
            (persons, head.person_seq, head.person_hash, PERSONS.what),
        ):
            if seq and found.hashes_at.get(seq) != expected:
                raise Tampered(
                    Text(
                        f"{what.fr} n° {seq} n'a plus l'empreinte du point de contrôle détenu",
                        f"{what.en} seq {seq} no longer has the hash of the held checkpoint",
                    )
                )
    return len(heads)


def _head(item: Any) -> tuple[Head, int, str]:
    try:
        head = Head(
            int(item["event_seq"]),
            str(item["event_hash"]),
            int(item["person_seq"]),
            str(item["person_hash"]),
            int(item["signed_at_us"]),
        )
        return head, int(item["id"]), str(item["signature"])
    except (KeyError, TypeError, ValueError):
        raise Tampered(
            Text("point de contrôle illisible dans le fichier", "unreadable checkpoint in the file")
        ) from None
