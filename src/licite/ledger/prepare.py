"""Turning a batch of import lines into records for the journal, without the database.

A line is parsed, validated (`licite.case`, the one description of the
vocabulary), and made into the record the journal will chain: typed columns,
canonical encoding, keyed content hash; a person line into a sealed person
record with a fresh key. Nothing here reads or writes the ledger, so an import
can prepare the next batch in a helper process while the current one is
committed (`licite.ledger.pipeline`). A bad line becomes a rejection naming its
line number and field; the rest of the batch goes on.

What does need the ledger stays with the importer: the keys of people already
recorded (to seal consent evidence) and everything the journal decides under
its lock (numbering, links, duplicates, unknown people).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from json.scanner import make_scanner
from typing import Any, cast

from pydantic import ValidationError

from licite.case import Event, Person, address_kind, explain, load_events
from licite.documents import DuplicateKey, duplicate_key_text, unique_keys
from licite.errors import InvalidInput, NotModelled, shown
from licite.i18n import Text
from licite.ledger.config import Keys
from licite.ledger.crypto import KeyedHasher
from licite.ledger.events import Evidence, unsealed_event
from licite.ledger.journal import NewEvent, NewPerson
from licite.ledger.people import PersonRecords
from licite.ledger.proof import Proof, load_proof
from licite.moments import parse_moment

Item = tuple[int, bytes | dict[str, Any] | Text]
"""A line number and what was read there: a JSON line, a CSV row, or why it is unreadable."""


@dataclass(slots=True)
class Prepared:
    """One batch of lines, ready for `Journal.commit`, with what was rejected on the way."""

    last_line: int
    persons: list[NewPerson] = field(default_factory=list)
    person_lines: list[int] = field(default_factory=list)
    fresh_keys: dict[str, bytes] = field(default_factory=dict)
    """The keys of the batch's new people, to seal their events' evidence."""
    events: list[NewEvent] = field(default_factory=list)
    event_lines: list[int] = field(default_factory=list)
    evidence: dict[int, Evidence] = field(default_factory=dict)
    """Evidence to seal with the person's key, by position in `events`."""
    wordings: dict[int, tuple[str, str]] = field(default_factory=dict)
    """(sha256, text) of consent wordings, by position in `events`."""
    rejected: list[tuple[int, Text]] = field(default_factory=list)

    def __getstate__(self) -> tuple[list[Any], list[tuple[Any, ...]]]:
        # Plain tuples pickle four times faster than named ones: a batch crosses a pipe.
        return [getattr(self, name) for name in _SHIPPED], [tuple(e) for e in self.events]

    def __setstate__(self, state: tuple[list[Any], list[tuple[Any, ...]]]) -> None:
        values, events = state
        for name, value in zip(_SHIPPED, values, strict=True):
            setattr(self, name, value)
        self.events = list(map(_as_new_event, events))


_SHIPPED = tuple(name for name in Prepared.__slots__ if name != "events")
_as_new_event = cast(Callable[[tuple[Any, ...]], NewEvent], partial(tuple.__new__, NewEvent))
"""`NewEvent._make` without its Python frame (and its length check: these tuples were
NewEvents when they were pickled)."""


@dataclass(slots=True)
class _EventLine:
    line: int
    person: str
    data: dict[str, Any]
    proof: Any
    at_text: str | None
    """The moment as given (offset kept), normalized; None when unreadable."""


class Preparer:
    """Prepares batches under one ledger's keys (HMAC for hashes, master to wrap keys)."""

    def __init__(self, keys: Keys) -> None:
        self._people = PersonRecords(keys)
        self._content_hash = KeyedHasher(keys.hmac)

    def __call__(self, items: list[Item], last_line: int) -> Prepared:
        out = Prepared(last_line)
        persons: list[tuple[int, dict[str, Any]]] = []
        events: list[_EventLine] = []
        for number, item in items:
            read = _json_item(item) if isinstance(item, bytes) else item
            if isinstance(read, Text):
                out.rejected.append((number, read))
            elif read.get("type") == "person":
                persons.append((number, read))
            else:
                _event_line(events, out.rejected, number, read)
        for number, data in persons:
            made = _person(self._people, data)
            if isinstance(made, Text):
                out.rejected.append((number, made))
                continue
            record, key = made
            out.persons.append(record)
            out.person_lines.append(number)
            out.fresh_keys.setdefault(record.id, key)
        self._events(events, out)
        return out

    def _events(self, lines: list[_EventLine], out: Prepared) -> None:
        """Validate the batch's events (all at once, line by line only when one is bad)."""
        # One string object per person: a batch crossing a pipe then carries each id once.
        people: dict[str, str] = {}
        for line, event in _validate(lines, out.rejected):
            proof: Proof | None = None
            if line.proof is not None:
                try:
                    proof = load_proof(line.proof, line.data.get("type", ""))
                except InvalidInput as error:
                    out.rejected.append((line.line, error.text))
                    continue
            try:
                at_text = line.at_text or event.at.isoformat()
                person = people.setdefault(line.person, line.person)
                record, evidence = unsealed_event(self._content_hash, person, event, proof, at_text)
            except UnicodeEncodeError:
                out.rejected.append((line.line, Text("texte illisible", "unreadable text")))
                continue
            position = len(out.events)
            out.events.append(record)
            out.event_lines.append(line.line)
            if evidence is not None:
                out.evidence[position] = evidence
            if proof is not None and proof.wording_text is not None:
                out.wordings[position] = (proof.wording_sha256 or "", proof.wording_text)


def _json_item(raw: bytes) -> dict[str, Any] | Text:
    if b"\x00" in raw or b"\\u0000" in raw:
        return Text("caractère NUL interdit", "NUL character not allowed")
    try:
        value = _parsed(raw)
    except DuplicateKey as error:
        return duplicate_key_text(error.key)
    except UnicodeDecodeError as error:
        return Text(
            f"n'est pas en UTF-8 (octet {error.start})",
            f"is not UTF-8 (byte {error.start})",
        )
    except json.JSONDecodeError as error:
        return Text(
            f"JSON illisible colonne {error.colno} : {error.msg}",
            f"unreadable JSON at column {error.colno}: {error.msg}",
        )
    if not isinstance(value, dict):
        return Text(
            "un objet JSON {…} est attendu par ligne",
            "expected one JSON object {…} per line",
        )
    return value


_scan = make_scanner(cast(Any, json.JSONDecoder(object_pairs_hook=unique_keys)))
"""The C scanner json.loads runs, refusing a key given twice."""


def _parsed(raw: bytes) -> Any:
    """`json.loads(raw)`, at half the cost for a well-formed line."""
    if raw.startswith(codecs.BOM_UTF8):
        return json.loads(raw, object_pairs_hook=unique_keys)
    text = raw.decode("utf-8", "surrogatepass")  # what json.loads does with UTF-8
    try:
        value, end = _scan(text, 0)
        if not text[end:].strip(" \t\n\r"):  # only JSON's whitespace after the value
            return value
    except (StopIteration, ValueError):
        pass
    # Parse again, to say what is wrong exactly as json does.
    return json.loads(text, object_pairs_hook=unique_keys)


_ISO_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:[0-5]\d", re.ASCII)


def _canonical_moment(given: object) -> bool:
    """Whether a moment that parsed is already written as its isoformat() would write it
    (seconds, numeric offset; "-00:00" reads as UTC, written "+00:00")."""
    return (
        isinstance(given, str)
        and len(given) == 25
        and _ISO_SECONDS.fullmatch(given) is not None
        and not given.endswith("-00:00")
    )


def _event_line(
    events: list[_EventLine], rejected: list[tuple[int, Text]], number: int, item: dict[str, Any]
) -> None:
    person = item.pop("person", None)
    proof = item.pop("proof", None)
    if isinstance(person, int) and not isinstance(person, bool):
        person = str(person)
    if not isinstance(person, str) or not person.strip() or len(person) > 200:
        rejected.append((number, _no_person(person)))
        return
    if address_kind(person) is not None:
        rejected.append((number, _address_as_id(person)))
        return
    at_text = None
    given = item.get("at")
    try:
        moment = parse_moment(given)
    except (ValueError, OverflowError):
        pass  # validation says what is wrong with it
    else:
        # Read once: validation takes the moment, the record keeps its offset as given.
        item["at"] = moment
        at_text = given if _canonical_moment(given) else moment.isoformat()
    events.append(_EventLine(number, person.strip(), item, proof, at_text))


def _person(people: PersonRecords, data: dict[str, Any]) -> tuple[NewPerson, bytes] | Text:
    fields = {k: v for k, v in data.items() if k != "type"}
    person_id = fields.get("id")
    if isinstance(person_id, int) and not isinstance(person_id, bool):
        fields["id"] = person_id = str(person_id)
    if not isinstance(person_id, str) or not person_id.strip():
        return Text("id : champ obligatoire absent", "id: required field is missing")
    try:
        person = Person.model_validate(fields)
    except ValidationError as error:
        return explain(error)
    assert person.id is not None
    return people.new(person.id, person)


def _validate(
    lines: list[_EventLine], rejected: list[tuple[int, Text]]
) -> list[tuple[_EventLine, Event]]:
    try:
        events = load_events([line.data for line in lines])
        return list(zip(lines, events, strict=True))
    except (InvalidInput, NotModelled):
        pass
    good: list[tuple[_EventLine, Event]] = []
    for line in lines:
        try:
            good.append((line, load_events([line.data])[0]))
        except (InvalidInput, NotModelled) as error:  # a moment out of range: this line only
            rejected.append((line.line, _unprefixed(error.text)))
    return good


def _unprefixed(text: Text) -> Text:
    return Text(text.fr.replace("history[0].", ""), text.en.replace("history[0].", ""))


def _address_as_id(value: str) -> Text:
    return Text(
        f"person : {shown(value)} est une adresse ou un numéro, pas un identifiant ; le"
        " registre enchaîne les identifiants pour toujours : utilisez un identifiant opaque",
        f"person: {shown(value)} is an address or a number, not an id; the ledger chains ids"
        " for ever: use an opaque id",
    )


def _no_person(value: object) -> Text:
    return Text(
        f"person : identifiant de personne attendu (valeur reçue : {shown(value)})",
        f"person: a person id is expected (got {shown(value)})",
    )
