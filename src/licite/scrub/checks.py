"""Campaign-level problems, found before any row is read and reported once.

They are the same rules the rows are judged by, applied to the campaign alone
(a consumer in metropolitan France of whom nothing is known): a phone campaign
with a stale opposition list or a send time outside the legal hours, a banned
sector, a political campaign after its election.
"""

from __future__ import annotations

from licite.decision import Citation, cite
from licite.places import Place
from licite.rules.findings import Findings
from licite.rules.phone import check_calling_rules, check_sector_ban, phone_bases
from licite.rules.political import check_election
from licite.scrub.plan import Plan
from licite.situation import Facts
from licite.vocabulary import Action, Channel, PersonKind, Purpose

CAMPAIGN_CODES = (
    "BLOCTEL-LIST-STALE",
    "PHONE-OUTSIDE-HOURS",
    "PHONE-FORBIDDEN-DAY",
    "SECTOR-BAN",
    "POLITICAL-ELECTION-ENDED",
)


def campaign_problems(plan: Plan) -> list[Citation]:
    request = plan.request
    if request.action is not Action.CONTACT:
        return []
    ask = plan.ask(PersonKind.CONSUMER, Place.METROPOLE)
    out = Findings()
    nothing_known = Facts()
    if request.channel is Channel.PHONE_CALL and request.purpose is Purpose.COMMERCIAL:
        phone_bases(ask, nothing_known, out)
        check_calling_rules(ask, nothing_known, out)
    if request.purpose is Purpose.COMMERCIAL:
        check_sector_ban(ask, nothing_known, out)
    check_election(ask, Facts(known=True), out)
    return [cite(code, plan.at) for code in out.blocks if code in CAMPAIGN_CODES]
