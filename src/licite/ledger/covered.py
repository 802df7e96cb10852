"""`verify` on what the chains do not cover: keys, erasures, suppression records, lists.

Two kinds of check. The summary the head signed (`state.State`) must still be
that of the tables: a deleted erasure mark, suppression record or list
reception, or any change to `meta`, no longer matches it. And the tables must
agree with each other and with the chained person records, so that the usual
ways of undoing an erasure are named:
- every person not erased has exactly one wrapped key, and no erased person has
  one (a key restored from a backup makes an erased person readable again);
- every key belongs to a recorded person;
- every suppression record belongs to a person erased at its date, and every
  erased person keeps one for each hash their record carries (the hashes are
  chained);
- each reception of an opposition list holds as many numbers as it counted;
- `meta` holds each key fingerprint this ledger checks its keys against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from licite.errors import Tampered
from licite.i18n import Text
from licite.ledger.state import State, current_state
from licite.ledger.store import Row

if TYPE_CHECKING:
    from licite.ledger.ledger import Ledger

_KEYS = """SELECT
    min(CASE WHEN p.erased_at_us IS NULL AND k.person_id IS NULL THEN p.seq END),
    min(CASE WHEN p.erased_at_us IS NOT NULL AND k.person_id IS NOT NULL THEN p.seq END),
    count(k.person_id), (SELECT count(*) FROM person_keys)
    FROM persons p LEFT JOIN person_keys k ON k.person_id = p.id"""
"""In one pass over the people: the first not erased without a key, the first erased with
one, how many keys belong to someone, how many keys there are."""
_STRAY_SUPPRESSION = """SELECT count(*) FROM suppressions s WHERE NOT EXISTS (
    SELECT 1 FROM persons p WHERE p.id = s.person_id AND p.erased_at_us = s.at_us)"""
_UNSUPPRESSED = """SELECT min(seq) FROM (SELECT p.seq FROM persons p
    WHERE p.erased_at_us IS NOT NULL AND (
    (p.email_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM suppressions s
        WHERE s.person_id = p.id AND s.hash = p.email_hash))
    OR (p.phone_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM suppressions s
        WHERE s.person_id = p.id AND s.hash = p.phone_hash))) {fence}) erased"""
"""Read through the erased people only (on PostgreSQL, OFFSET 0 keeps the planner from
walking every person in seq order to find the smallest)."""
_SHORT_LIST = """SELECT min(i.id) FROM suppression_imports i WHERE i.count <> (
    SELECT count(*) FROM suppression_entries e WHERE e.import_id = i.id)"""


def check_covered(ledger: Ledger, signed: State) -> None:
    """Raise `Tampered` naming the first table that changed behind the journal's back."""
    store = ledger.store
    if store.dialect == "postgresql":
        # Inside verify's snapshot. A plan kept from a path (`_one`) looks dear enough
        # for PostgreSQL to compile it first, which costs a second for a query that
        # runs in a millisecond.
        store.read("SET LOCAL jit = off")
    changed = current_state(store.read, store.dialect).differs(signed)
    if changed is not None:
        raise Tampered(changed)
    _meta(ledger)
    keyless, erased_with_key, owned, keys = _one(ledger, _KEYS, "enable_nestloop")
    fence = "OFFSET 0" if store.dialect == "postgresql" else ""
    faults = (
        (
            keyless,
            "fiche personne n° {v} (persons.seq = {v}) : sa clé (person_keys) a été supprimée"
            " alors qu'elle n'est pas marquée effacée",
            "person record seq {v} (persons.seq = {v}): its key (person_keys) was deleted"
            " though it is not marked erased",
        ),
        (
            erased_with_key,
            "fiche personne n° {v} (persons.seq = {v}) : marquée effacée, elle a de nouveau une"
            " clé (person_keys) : ses données redeviendraient lisibles",
            "person record seq {v} (persons.seq = {v}): marked erased, it has a key again"
            " (person_keys): its data would be readable again",
        ),
        (
            int(keys) - int(owned),
            "{v} clé(s) (person_keys) n'appartiennent à aucune personne enregistrée",
            "{v} key(s) (person_keys) belong to no recorded person",
        ),
        (
            _one(ledger, _STRAY_SUPPRESSION, "enable_seqscan")[0],
            "{v} empreinte(s) gardée(s) après effacement (suppressions) ne correspondent à aucun"
            " effacement enregistré à leur date",
            "{v} hash(es) kept after erasure (suppressions) match no erasure recorded at"
            " their date",
        ),
        (
            _one(ledger, _UNSUPPRESSED.format(fence=fence), "enable_seqscan")[0],
            "fiche personne n° {v} (persons.seq = {v}) : effacée, son empreinte gardée"
            " (suppressions) a disparu : son opposition n'est plus honorée",
            "person record seq {v} (persons.seq = {v}): erased, its kept hash (suppressions)"
            " is gone: its objection is no longer honoured",
        ),
        (
            _one(ledger, _SHORT_LIST)[0],
            "réception n° {v} d'une liste d'opposition (suppression_imports.id = {v}) : elle ne"
            " contient plus le nombre de numéros reçus (suppression_entries)",
            "opposition list reception {v} (suppression_imports.id = {v}) no longer holds the"
            " count of numbers received (suppression_entries)",
        ),
    )
    for found, fr, en in faults:
        if found:
            raise Tampered(Text(fr.format(v=found), en.format(v=found)))


def _one(ledger: Ledger, sql: str, avoid: str | None = None) -> Row:
    """The one row of `sql`. On PostgreSQL, `avoid` names a plan to keep it from (a
    planner setting, off for this query only, inside verify's snapshot): right after a
    large import its statistics lag, and it then probes person_keys once a person, or
    reads every person to find the few erased ones."""
    store = ledger.store
    if store.dialect != "postgresql" or avoid is None:
        return store.read(sql)[0]
    store.read(f"SET LOCAL {avoid} = off")
    try:
        return store.read(sql)[0]
    finally:
        store.read(f"SET LOCAL {avoid} = on")


def _meta(ledger: Ledger) -> None:
    stored = {str(name) for name, _ in ledger.store.read("SELECT name, value FROM meta")}
    for name in ledger.key_ids():
        if name not in stored:
            raise Tampered(
                Text(
                    f"meta.{name} a disparu : l'empreinte de clé que ce registre vérifie",
                    f"meta.{name} is gone: the key fingerprint this ledger checks",
                )
            )
