"""A person's history as the ledger knew it at a moment: the one place that says so.

The batch scrub mirrors exactly this (issue 4), so every source of facts is
merged here and nowhere else:
1. the person's recorded events up to `at`, in `at` order, ties in append order;
2. the latest Bloctel import at or before `at`: a `bloctel` event at the
   import's moment when the person's phone hash is on it; a `bloctel_removed`
   event then when the number was on an earlier list only (it is no longer
   registered); nothing for a number never listed — the list alone does not
   make a person known to the ledger;
3. suppression hashes left by the erasure of another person record with the
   same email or phone: an `objection` (all channels, all senders, via form)
   at the erasure's moment, so the objection outlives the erased address
   (GDPR art. 17 and 21; C. pén. 226-18-1).
Synthetic events come after recorded ones at the same moment.

An erasure counts whatever `at` is (issue 13, finding 8): a campaign dated
before it must not bring the erased person back. An erasure recorded after
`at` — of the person itself (`persons.erased_at_us`) or of another record
with the same address or number (`suppressions`) — is read as an objection
at `at` itself; one before `at` stays at its own moment. The ledger's record
of the erasure decides, not the date a campaign claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from licite.case import Bloctel, BloctelRemoved, Event, Objection, Sender, load_events
from licite.errors import LiciteError
from licite.facts.declared import SYNTHETIC
from licite.facts.scope import effective_sender as cleaned_by
from licite.ledger.ledger import Ledger, unknown_person
from licite.ledger.people import StoredPerson, person_select, read_person
from licite.ledger.rows import READ_SELECT, event_dict
from licite.ledger.schema import SMS_INBOUND
from licite.ledger.store import Row
from licite.ledger.suppression import ever_listed, latest_import, listed
from licite.moments import EARLIEST, LATEST, micros, moment_of_micros

_FAR = 2**62
_EARLIEST_US, _LATEST_US = micros(EARLIEST), micros(LATEST) - 1


def recorded_events(ledger: Ledger, person_id: str, at: datetime | None) -> tuple[Event, ...]:
    # Only moments licite models: one recorded outside them (by an older version) must not
    # make the person's history unreadable for ever; verify still covers it.
    rows = ledger.store.read(
        f"SELECT {READ_SELECT} FROM events WHERE person_id = ? AND at_us >= ? AND at_us <= ?"
        " ORDER BY at_us, seq",
        (person_id, _EARLIEST_US, _LATEST_US if at is None else min(micros(at), _LATEST_US)),
    )
    return load_events([event_dict(r) for r in rows], name=f"ledger:{person_id}")


def history_as_of(ledger: Ledger, person: StoredPerson, at: datetime | None) -> list[Event]:
    """Everything the engine must see about `person` at `at` (None: everything recorded)."""
    events: list[Event] = list(recorded_events(ledger, person.id, at))
    at_us = _FAR if at is None else micros(at)
    events.extend(_opposition_list(ledger, person, at_us))
    events.extend(_suppressed(ledger, person, at_us))
    events.extend(stops_by_sms(ledger, person, at_us))
    return sorted(events, key=lambda e: e.at)


def stops_by_sms(ledger: Ledger, person: StoredPerson, at_us: int) -> list[Event]:
    """Every STOP texted from the person's number by `at_us` (`sms_inbound`, issue 18): an
    objection to the SMS of the sender it was sent to, whether the number was known when it
    came or only later (CPCE L34-5, RGPD art. 21). The scrub reads the same rows
    (`scrub.sources.gather_events`)."""
    if person.phone_hash is None or ledger.journal.schema < SMS_INBOUND:
        return []
    rows = ledger.store.read(
        "SELECT received_at_us, sender FROM sms_inbound"
        " WHERE phone_hash = ? AND stop = ? AND received_at_us <= ? ORDER BY received_at_us",
        (person.phone_hash, True, at_us),
    )
    return [_stop(received, sender) for received, sender in rows]


def _stop(received_us: object, sender: object) -> Event:
    """A STOP texted to `sender`, as `licite.facts.declared.SYNTHETIC` says it reads."""
    return Objection(
        at=moment_of_micros(int(str(received_us))), sender=str(sender), **SYNTHETIC["stop_sms"]
    )


def _opposition_list(ledger: Ledger, person: StoredPerson, at_us: int) -> list[Event]:
    if person.phone_hash is None:
        return []
    latest = latest_import(ledger, "bloctel", at_us)
    if latest is None:
        return []
    import_id, imported_at_us = latest
    moment = moment_of_micros(imported_at_us)
    if listed(ledger, import_id, person.phone_hash):
        return [Bloctel(at=moment, type="bloctel")]
    if ever_listed(ledger, "bloctel", person.phone_hash, at_us):
        return [BloctelRemoved(at=moment, type="bloctel_removed")]
    return []


def _suppressed(ledger: Ledger, person: StoredPerson, at_us: int) -> list[Event]:
    marks: list[int] = []
    if person.erased_at_us is not None and person.erased_at_us > at_us:
        marks.append(at_us)  # erased later: its own objection event lies after `at`
    hashes = [h for h in (person.email_hash, person.phone_hash) if h is not None]
    if hashes:
        rows = ledger.store.read(
            f"SELECT MIN(at_us) FROM suppressions WHERE hash IN ({','.join('?' * len(hashes))})"
            " AND person_id <> ?",
            (*hashes, person.id),
        )
        if rows[0][0] is not None:
            marks.append(min(int(rows[0][0]), at_us))
    if not marks:
        return []
    moment = moment_of_micros(min(marks))
    return [Objection(at=moment, **SYNTHETIC["erasure"])]


def effective_sender(ledger: Ledger, sender: Sender, at: datetime) -> Sender:
    """The campaign's sender, its list cleaning read from the ledger's imports (R. 223-6,
    `licite.facts.scope.effective_sender`)."""
    if sender.bloctel_checked_at is not None:
        return sender
    return cleaned(sender, latest_import(ledger, "bloctel", micros(at)))


@dataclass(frozen=True, slots=True)
class AsOf:
    """One person of a page, as `ledger.person` and `history_as_of` read them; or the error
    reading them raised, raised again when `stored` or `history` is asked for."""

    id: str
    record: StoredPerson | None
    events: list[Event] | None
    error: LiciteError | None = None

    @property
    def stored(self) -> StoredPerson:
        if self.record is None:
            raise self.error or unknown_person(self.id)
        return self.record

    @property
    def history(self) -> list[Event]:
        if self.events is None:
            raise self.error or unknown_person(self.id)
        return self.events


@dataclass(frozen=True, slots=True)
class _Among:
    """The person records a page's statements read: `persons p` rows where `persons` holds,
    their events where `events` holds (on `events.person_id`), both with `params`."""

    persons: str
    events: str
    params: tuple[Any, ...]
    order: str = ""


def _span(first: str, last: str) -> _Among:
    return _Among(" p.id >= ? AND p.id <= ?", " person_id >= ? AND person_id <= ?", (first, last))


def _live_with_email(hashes: Sequence[str]) -> _Among:
    """The records not erased with one of the email `hashes`, in the ledger's order."""
    marks = ",".join("?" * len(hashes))
    return _Among(
        f" p.email_hash IN ({marks}) AND p.erased_at_us IS NULL",
        " person_id IN (SELECT id FROM persons"
        f" WHERE email_hash IN ({marks}) AND erased_at_us IS NULL)",
        tuple(hashes),
        " ORDER BY p.seq",
    )


class _Page:
    """The statements reading a page's records and histories at `at_us`, and what their
    rows say: every one independent of the others' answers (`Store.read_all` sends them
    at once)."""

    def __init__(self, ledger: Ledger, among: _Among, wanted: set[str] | None, at_us: int):
        self.ledger, self.among, self.wanted, self.at_us = ledger, among, wanted, at_us

    def statements(self) -> list[tuple[str, Sequence[Any]]]:
        among, at_us = self.among, self.at_us
        schema = self.ledger.journal.schema
        found: list[tuple[str, Sequence[Any]]] = [
            (person_select(schema) + " WHERE" + among.persons + among.order, among.params),
            (
                f"SELECT person_id, {READ_SELECT} FROM events WHERE"
                + among.events
                + " AND at_us >= ? AND at_us <= ? ORDER BY person_id, at_us, seq",
                (*among.params, _EARLIEST_US, min(at_us, _LATEST_US)),
            ),
            (_LATEST, ("bloctel", at_us)),
            (
                "SELECT p.id, MAX(CASE WHEN e.import_id = (" + _LATEST_ID + ") THEN 1 ELSE 0 END)"
                " FROM persons p JOIN suppression_entries e ON e.phone_hash = p.phone_hash"
                " JOIN suppression_imports i ON i.id = e.import_id"
                " WHERE i.list = ? AND i.imported_at_us <= ? AND"
                + among.persons
                + " GROUP BY p.id",
                ("bloctel", at_us, "bloctel", at_us, *among.params),
            ),
            (
                "SELECT p.id, MIN(s.at_us) FROM persons p JOIN suppressions s"
                " ON s.hash = p.email_hash AND s.person_id <> p.id WHERE"
                + among.persons
                + " GROUP BY p.id UNION ALL SELECT p.id, MIN(s.at_us) FROM persons p"
                " JOIN suppressions s ON s.hash = p.phone_hash AND s.person_id <> p.id WHERE"
                + among.persons
                + " GROUP BY p.id",
                (*among.params, *among.params),
            ),
        ]
        if schema >= SMS_INBOUND:
            found.append(
                (
                    "SELECT p.id, s.received_at_us, s.sender FROM persons p JOIN sms_inbound s"
                    " ON s.phone_hash = p.phone_hash WHERE s.stop = ? AND s.received_at_us <= ?"
                    " AND" + among.persons + " ORDER BY p.id, s.received_at_us",
                    (True, at_us, *among.params),
                )
            )
        return found

    def read(self, answers: Sequence[list[Row]]) -> tuple[list[Row], dict[str, AsOf]]:
        """The page's `persons` rows, and each wanted person's record and history; the
        latest import of the opposition list is `self.latest` afterwards."""
        people, events, latest, on_list, suppressed, *stops = answers
        self.latest: tuple[int, int] | None = (latest[0][0], latest[0][1]) if latest else None
        records = _records(self.ledger, people, self.wanted)
        recorded = _recorded_page(events, self.wanted)
        listed = _listed_page(self.latest, on_list)
        marks = _suppressed_page(suppressed)
        by_sms = _stops_page(stops[0]) if stops else {}
        found: dict[str, AsOf] = {}
        for pid, person in records.items():
            if isinstance(person, LiciteError):
                found[pid] = AsOf(pid, None, None, person)
                continue
            given = recorded.get(pid, ())
            if isinstance(given, LiciteError):
                found[pid] = AsOf(pid, person, None, given)
                continue
            history: list[Event] = list(given)
            history.extend(listed.get(pid, ()))
            history.extend(_suppression_mark(person, marks.get(pid), self.at_us))
            history.extend(by_sms.get(pid, ()))
            found[pid] = AsOf(pid, person, sorted(history, key=lambda e: e.at))
        return people, found


_LATEST = (
    "SELECT id, imported_at_us FROM suppression_imports WHERE list = ? AND imported_at_us <= ?"
    " ORDER BY imported_at_us DESC, id DESC LIMIT 1"
)
"""`latest_import`'s statement."""
_LATEST_ID = _LATEST.replace("id, imported_at_us", "id", 1)


def histories_as_of(ledger: Ledger, ids: Sequence[str], at: datetime) -> dict[str, AsOf]:
    """`ledger.person` and `history_as_of(…, at)` for a page of people at once: the same
    records and the same histories (`tests/test_retention_batched.py` holds them equal),
    read by six statements for the whole page instead of five a person — the people,
    their events, the opposition list (its latest import at or before `at`, then who is
    on it), the suppression hashes other records' erasures left, and the STOPs by SMS —
    inside one snapshot.

    `ids` in the store's order (`ORDER BY id`): the statements read the range from the
    first to the last and keep the ids asked for, which is cheap for a page of consecutive
    ids (`licite.retention.plan`). An id outside the range read (not in the store's order)
    is read alone, by `ledger.person` and `history_as_of`; an id the ledger does not hold
    comes back with the `UnknownPerson` error `ledger.person` raises."""
    wanted = set(ids)
    if not wanted:
        return {}
    page = _Page(ledger, _span(ids[0], ids[-1]), wanted, micros(at))
    _, found = page.read(ledger.store.read_all(page.statements()))
    for pid in wanted - found.keys():
        found[pid] = _alone(ledger, pid, at)
    return found


@dataclass(frozen=True, slots=True)
class Addressed:
    """What `addressed_as_of` read for a message's recipients."""

    records: dict[str, list[AsOf]]
    """Each email hash the ledger holds live records with: those records and their
    histories, in the ledger's order (`seq`)."""
    unknown: dict[str, list[Event]]
    """Each other email hash: the history of SPEC §2's unknown person with that address
    (`history_as_of` of a record with no id, events nor phone) — the objection an
    erasure's suppression of the address left, or nothing."""
    latest: tuple[int, int] | None
    """The opposition list's latest import at `at` (`latest_import`), for `cleaned`."""
    also: list[list[Row]]
    """The rows of the statements given as `also`."""


def addressed_as_of(
    ledger: Ledger,
    email_hashes: Sequence[str],
    at: datetime,
    also: Sequence[tuple[str, Sequence[Any]]] = (),
) -> Addressed:
    """Everything deciding a message's recipients reads, in one snapshot and, on
    PostgreSQL, one round trip whatever their number (the mail gateway, issue 19): the
    live records with each email hash, as `person_select` finds them, with their
    `history_as_of(…, at)`; the suppressions of the hashes no record holds; the latest
    opposition list at `at`, for `cleaned`; and the statements `also` (the caller's own,
    read in the same snapshot). Nothing here is kept between calls: an objection or an
    erasure recorded before the call is seen by it."""
    hashes = list(dict.fromkeys(email_hashes))
    at_us = micros(at)
    page = _Page(ledger, _live_with_email(hashes), None, at_us)
    statements = page.statements()
    mine = len(statements)
    statements.append(
        (
            "SELECT hash, MIN(at_us) FROM suppressions"
            f" WHERE hash IN ({','.join('?' * len(hashes))}) AND person_id <> ? GROUP BY hash",
            (*hashes, ""),
        )
    )
    statements.extend(also)
    answers = ledger.store.read_all(statements) if hashes else ledger.store.read_all(also)
    if not hashes:
        return Addressed({}, {}, None, answers)
    rows, found = page.read(answers[:mine])
    records: dict[str, list[AsOf]] = {}
    for row in rows:  # `seq` order; column 5 is the email hash (`person_select`)
        records.setdefault(str(row[5]), []).append(found[str(row[0])])
    first = {str(h): int(us) for h, us in answers[mine]}
    unknown: dict[str, list[Event]] = {}
    for digest in hashes:
        if digest not in records:
            mark = min(first[digest], at_us) if digest in first else None
            unknown[digest] = (
                []
                if mark is None
                else [Objection(at=moment_of_micros(mark), **SYNTHETIC["erasure"])]
            )
    return Addressed(records, unknown, page.latest, answers[mine + 1 :])


def cleaned(sender: Sender, latest: tuple[int, int] | None) -> Sender:
    """`effective_sender` once the opposition list's latest import at the moment is read."""
    if sender.bloctel_checked_at is not None:
        return sender
    return cleaned_by(sender, latest[1] if latest else None)


def _alone(ledger: Ledger, pid: str, at: datetime) -> AsOf:
    try:
        person = ledger.person(pid)
    except LiciteError as error:
        return AsOf(pid, None, None, error)
    try:
        return AsOf(pid, person, history_as_of(ledger, person, at))
    except LiciteError as error:
        return AsOf(pid, person, None, error)


def _records(
    ledger: Ledger, rows: list[Row], wanted: set[str] | None
) -> dict[str, StoredPerson | LiciteError]:
    found: dict[str, StoredPerson | LiciteError] = {}
    for row in rows:
        pid = str(row[0])
        if wanted is not None and pid not in wanted:
            continue
        try:
            found[pid] = read_person(row, ledger.epochs)
        except LiciteError as error:  # a broken key: that person only, as `ledger.person`
            found[pid] = error
    return found


def _recorded_page(
    rows: list[Row], wanted: set[str] | None
) -> dict[str, tuple[Event, ...] | LiciteError]:
    """`recorded_events` of each person of the page, validated a person at a time (one
    person's unreadable event is that person's error, as it is `decide_person`'s)."""
    people: list[tuple[str, int, int]] = []
    given: list[dict[str, Any]] = []
    for pid, group in groupby(rows, key=lambda r: str(r[0])):
        if wanted is None or pid in wanted:
            first = len(given)
            given.extend(event_dict(r[1:]) for r in group)
            people.append((pid, first, len(given)))
    try:  # the page validated at once: the same events, one validation's overhead
        events = load_events(given, name="ledger")
    except LiciteError:  # someone's event is unreadable: whose, and only theirs
        return {pid: _loaded(pid, given[first:end]) for pid, first, end in people}
    return {pid: events[first:end] for pid, first, end in people}


def _loaded(pid: str, given: list[dict[str, Any]]) -> tuple[Event, ...] | LiciteError:
    try:
        return load_events(given, name=f"ledger:{pid}")
    except LiciteError as error:
        return error


def _listed_page(latest: tuple[int, int] | None, rows: list[Row]) -> dict[str, list[Event]]:
    """`_opposition_list` for each person of the page with a phone hash: on the latest
    list at `at` (`latest`), or only on earlier ones."""
    if latest is None:
        return {}
    moment = moment_of_micros(latest[1])
    on_list: list[Event] = [Bloctel(at=moment, type="bloctel")]
    removed: list[Event] = [BloctelRemoved(at=moment, type="bloctel_removed")]
    return {str(pid): on_list if int(latest_one) else removed for pid, latest_one in rows}


def _suppressed_page(rows: list[Row]) -> dict[str, int]:
    """The earliest suppression another record left on each person's email or phone hash."""
    found: dict[str, int] = {}
    for pid, first in rows:
        key, value = str(pid), int(first)
        found[key] = min(value, found.get(key, value))
    return found


def _suppression_mark(person: StoredPerson, first_us: int | None, at_us: int) -> list[Event]:
    """`_suppressed` from the page's earliest suppression of the person's hashes."""
    marks: list[int] = []
    if person.erased_at_us is not None and person.erased_at_us > at_us:
        marks.append(at_us)
    if first_us is not None and (person.email_hash is not None or person.phone_hash is not None):
        marks.append(min(first_us, at_us))
    if not marks:
        return []
    moment = moment_of_micros(min(marks))
    return [Objection(at=moment, **SYNTHETIC["erasure"])]


def _stops_page(rows: list[Row]) -> dict[str, list[Event]]:
    """`stops_by_sms` for each person of the page with a phone hash."""
    found: dict[str, list[Event]] = {}
    for pid, received, sender in rows:
        found.setdefault(str(pid), []).append(_stop(received, sender))
    return found
