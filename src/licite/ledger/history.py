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

from datetime import datetime

from licite.case import Bloctel, BloctelRemoved, Event, Objection, Sender, load_events
from licite.facts.scope import effective_sender as cleaned_by
from licite.ledger.ledger import Ledger
from licite.ledger.people import StoredPerson
from licite.ledger.rows import READ_SELECT, event_dict
from licite.ledger.schema import SMS_INBOUND
from licite.ledger.suppression import ever_listed, latest_import, listed
from licite.moments import EARLIEST, LATEST, micros, moment_of_micros
from licite.vocabulary import ChannelOrAll, Via

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
    return [
        Objection(
            at=moment_of_micros(int(received)),
            type="objection",
            channel=ChannelOrAll.SMS,
            sender=str(sender),
            via=Via.STOP_SMS,
        )
        for received, sender in rows
    ]


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
    return [
        Objection(at=moment, type="objection", channel=ChannelOrAll.ALL, sender="all", via=Via.FORM)
    ]


def effective_sender(ledger: Ledger, sender: Sender, at: datetime) -> Sender:
    """The campaign's sender, its list cleaning read from the ledger's imports (R. 223-6,
    `licite.facts.scope.effective_sender`)."""
    if sender.bloctel_checked_at is not None:
        return sender
    latest = latest_import(ledger, "bloctel", micros(at))
    return cleaned_by(sender, latest[1] if latest else None)
