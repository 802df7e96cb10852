"""`licite decide --person ID --campaign FILE`: the engine on the ledger's facts.

The same computation as `licite decide CASE` (SPEC §2): the person and their
history come from the ledger (`history.history_as_of`), the sender and the
request from the campaign, the moment from `--at`, else the campaign's `at`,
else now.
"""

from __future__ import annotations

from datetime import datetime

from licite.case import Campaign
from licite.decision import Decision
from licite.engine import decide_history
from licite.ledger.history import effective_sender, history_as_of
from licite.ledger.ledger import Ledger
from licite.ledger.people import StoredPerson
from licite.moments import PARIS
from licite.vocabulary import ADDRESS_OF_CHANNEL, Action


def decide_person(
    ledger: Ledger, person_id: str, campaign: Campaign, at: datetime | None = None
) -> Decision:
    moment = at or campaign.at or datetime.now(PARIS)
    person = ledger.person(person_id)
    return decide_history(
        history_as_of(ledger, person, moment),
        request=campaign.request,
        sender=effective_sender(ledger, campaign.sender, moment),
        at=moment,
        person=person.as_case_person(),
        case_id=campaign.id,
        address_known=address_known(person, campaign),
    )


def address_known(person: StoredPerson, campaign: Campaign) -> bool | None:
    """Whether the ledger knows the person's address for the campaign's channel: readable,
    or, once erased, still known by its keyed hash (SPEC §3, NO-ADDRESS)."""
    channel = campaign.request.channel
    if campaign.request.action is not Action.CONTACT or channel is None:
        return None
    field = ADDRESS_OF_CHANNEL[channel]
    if getattr(person, field) is not None:
        return True
    return getattr(person, f"{field}_hash", None) is not None
