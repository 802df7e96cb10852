"""`licite decide --person ID --campaign FILE`: the engine on the ledger's facts.

The same computation as `licite decide CASE` (SPEC §2): the person and their
history come from the ledger (`history.history_as_of`), the sender and the
request from the campaign, the moment from `--at`, else the campaign's `at`,
else now.
"""

from __future__ import annotations

from datetime import datetime

from licite.case import Campaign, Event, Person, Sender
from licite.decision import Decision
from licite.engine import decide_history, has_address
from licite.ledger.history import effective_sender, history_as_of
from licite.ledger.ledger import Ledger
from licite.ledger.people import StoredPerson
from licite.moments import PARIS
from licite.vocabulary import ADDRESS_OF_CHANNEL, Action


def decide_person(
    ledger: Ledger, person_id: str, campaign: Campaign, at: datetime | None = None
) -> Decision:
    person = ledger.person(person_id)
    return decide_stored(ledger, person, person.as_case_person(), campaign, at)


def decide_stored(
    ledger: Ledger,
    stored: StoredPerson,
    person: Person,
    campaign: Campaign,
    at: datetime | None = None,
) -> Decision:
    """`decide_person` for a person record already read, or for an address the ledger does
    not know (the mail gateway): a record with no events, whose keyed hashes still meet the
    suppressions an erasure left (`history`), decided as SPEC §2's unknown person."""
    moment = at or campaign.at or datetime.now(PARIS)
    return decide_read(
        stored,
        person,
        history_as_of(ledger, stored, moment),
        campaign,
        effective_sender(ledger, campaign.sender, moment),
        moment,
    )


def decide_read(
    stored: StoredPerson,
    person: Person,
    history: list[Event],
    campaign: Campaign,
    sender: Sender,
    at: datetime,
) -> Decision:
    """`decide_stored` once the ledger is read: the person's `history_as_of(at)` (or its
    page's, `histories_as_of`) and the campaign's `effective_sender` at `at`."""
    return decide_history(
        history,
        request=campaign.request,
        sender=sender,
        at=at,
        person=person,
        case_id=campaign.id,
        address_known=address_known(stored, person, campaign),
    )


def address_known(stored: StoredPerson, person: Person, campaign: Campaign) -> bool | None:
    """Whether the person's address for the campaign's channel is known: given, readable,
    or, once erased, still known to the ledger by its keyed hash (SPEC §3, NO-ADDRESS)."""
    channel = campaign.request.channel
    if campaign.request.action is not Action.CONTACT or channel is None:
        return None
    if has_address(campaign.request, person):
        return True
    field = ADDRESS_OF_CHANNEL[channel]
    return getattr(stored, field) is not None or getattr(stored, f"{field}_hash", None) is not None
