"""A campaign made ready for a whole list: its moment, its sender, its scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from licite.case import Campaign, Request, Sender
from licite.engine import check_modelled, make_ask
from licite.facts import scope_purpose
from licite.moments import add_period, micros
from licite.places import Place
from licite.rules.dates import CONSENT_PROOF_FROM
from licite.situation import Ask
from licite.vocabulary import Action, PersonKind


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

    def ask(self, person_kind: PersonKind, place: Place) -> Ask:
        return make_ask(self.request, self.sender, self.at, person_kind, place)

    def sql_params(self) -> dict[str, tuple[str | int | bool | None, str]]:
        """The values `facts_sql` is written against (see `licite.facts._Scope`)."""
        request = self.request
        purpose = scope_purpose(request)
        return {
            "s": (self.sender.id, "VARCHAR"),
            "ch": (request.channel.value if request.channel else None, "VARCHAR"),
            "pu": (purpose.value if purpose else None, "VARCHAR"),
            "proc": (request.processing, "VARCHAR"),
            "analysis": (request.action is Action.ANALYZE, "BOOLEAN"),
            "at": (micros(self.at), "BIGINT"),
            "offer": (request.offer, "VARCHAR"),
            "gdpr": (micros(CONSENT_PROOF_FROM), "BIGINT"),
            "calls_from": (micros(add_period(self.at, days=-30)), "BIGINT"),
        }
