"""A campaign made ready for a whole list: its moment, its sender, its scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from licite.case import Campaign, Request, Sender
from licite.engine import check_modelled, make_ask
from licite.facts.scope import Scope, SqlParam
from licite.places import Place
from licite.situation import Ask
from licite.vocabulary import ADDRESS_OF_CHANNEL, Action, PersonKind

_ADDRESS_COLUMNS = {"email": "email_norm", "phone": "phone_e164", "postal_code": "postal_norm"}
"""The list's normalized column for each of the person's address fields."""


@dataclass(frozen=True, slots=True)
class Plan:
    campaign: Campaign
    sender: Sender
    at: datetime

    @classmethod
    def of(
        cls, campaign: Campaign, *, at: datetime | None = None, sender: Sender | None = None
    ) -> Plan:
        moment = at or campaign.at or datetime.now(UTC)
        check_modelled(campaign.request, moment)
        return cls(campaign=campaign, sender=sender or campaign.sender, at=moment)

    @property
    def request(self) -> Request:
        return self.campaign.request

    def ask(self, person_kind: PersonKind, place: Place, *, has_address: bool = True) -> Ask:
        return make_ask(
            self.request, self.sender, self.at, person_kind, place, has_address=has_address
        )

    @property
    def address_column(self) -> str | None:
        """The list's normalized column a row needs for the campaign's channel (SPEC §3)."""
        request = self.request
        if request.action is not Action.CONTACT or request.channel is None:
            return None
        return _ADDRESS_COLUMNS[ADDRESS_OF_CHANNEL[request.channel]]

    def sql_params(self) -> dict[str, tuple[SqlParam, str]]:
        """The values `facts_sql` is written against: the request's scope, as the engine's
        reader has it (`licite.facts.scope.Scope`)."""
        return Scope(self.request, self.sender.id, self.at).sql_params()
