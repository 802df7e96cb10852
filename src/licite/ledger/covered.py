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

from licite.i18n import Text
from licite.ledger.errors import Tampered
from licite.ledger.state import State, current_state

if TYPE_CHECKING:
    from licite.ledger.ledger import Ledger

_KEYLESS = """SELECT min(p.seq) FROM persons p WHERE p.erased_at_us IS NULL
    AND NOT EXISTS (SELECT 1 FROM person_keys k WHERE k.person_id = p.id)"""
_ERASED_WITH_KEY = """SELECT min(p.seq) FROM persons p JOIN person_keys k ON k.person_id = p.id
    WHERE p.erased_at_us IS NOT NULL"""
_STRAY_KEY = """SELECT count(*) FROM person_keys k
    WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = k.person_id)"""
_STRAY_SUPPRESSION = """SELECT count(*) FROM suppressions s WHERE NOT EXISTS (
    SELECT 1 FROM persons p WHERE p.id = s.person_id AND p.erased_at_us = s.at_us)"""
_UNSUPPRESSED = """SELECT min(p.seq) FROM persons p WHERE p.erased_at_us IS NOT NULL AND (
    (p.email_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM suppressions s
        WHERE s.person_id = p.id AND s.hash = p.email_hash))
    OR (p.phone_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM suppressions s
        WHERE s.person_id = p.id AND s.hash = p.phone_hash)))"""
_SHORT_LIST = """SELECT min(i.id) FROM suppression_imports i WHERE i.count <> (
    SELECT count(*) FROM suppression_entries e WHERE e.import_id = i.id)"""


def check_covered(ledger: Ledger, signed: State) -> None:
    """Raise `Tampered` naming the first table that changed behind the journal's back."""
    store = ledger.store
    changed = current_state(store.read, store.dialect).differs(signed)
    if changed is not None:
        raise Tampered(changed)
    _meta(ledger)
    faults = (
        (
            _KEYLESS,
            "fiche personne n° {v} (persons.seq = {v}) : sa clé (person_keys) a été supprimée"
            " alors qu'elle n'est pas marquée effacée",
            "person record seq {v} (persons.seq = {v}): its key (person_keys) was deleted"
            " though it is not marked erased",
        ),
        (
            _ERASED_WITH_KEY,
            "fiche personne n° {v} (persons.seq = {v}) : marquée effacée, elle a de nouveau une"
            " clé (person_keys) : ses données redeviendraient lisibles",
            "person record seq {v} (persons.seq = {v}): marked erased, it has a key again"
            " (person_keys): its data would be readable again",
        ),
        (
            _STRAY_KEY,
            "{v} clé(s) (person_keys) n'appartiennent à aucune personne enregistrée",
            "{v} key(s) (person_keys) belong to no recorded person",
        ),
        (
            _STRAY_SUPPRESSION,
            "{v} empreinte(s) gardée(s) après effacement (suppressions) ne correspondent à aucun"
            " effacement enregistré à leur date",
            "{v} hash(es) kept after erasure (suppressions) match no erasure recorded at"
            " their date",
        ),
        (
            _UNSUPPRESSED,
            "fiche personne n° {v} (persons.seq = {v}) : effacée, son empreinte gardée"
            " (suppressions) a disparu : son opposition n'est plus honorée",
            "person record seq {v} (persons.seq = {v}): erased, its kept hash (suppressions)"
            " is gone: its objection is no longer honoured",
        ),
        (
            _SHORT_LIST,
            "réception n° {v} d'une liste d'opposition (suppression_imports.id = {v}) : elle ne"
            " contient plus le nombre de numéros reçus (suppression_entries)",
            "opposition list reception {v} (suppression_imports.id = {v}) no longer holds the"
            " count of numbers received (suppression_entries)",
        ),
    )
    for sql, fr, en in faults:
        found = store.read(sql)[0][0]
        if found:
            raise Tampered(Text(fr.format(v=found), en.format(v=found)))


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
