"""The rules of SPEC §1, one module per legal text, and the order in which they apply.

`evaluate(ask, facts)` is the whole law: a pure function from the request and
what the ledger knows to a verdict. Every caller — one case, the ledger, the
batch scrub, the HTTP service, the SMTP gateway — goes through it.
"""

from __future__ import annotations

from licite.rules.analysis import analyse_correspondence
from licite.rules.findings import Findings, Verdict
from licite.rules.marketing import check_message, marketing_bases
from licite.rules.objection import check_objection
from licite.rules.phone import check_calling_rules, check_sector_ban, phone_bases
from licite.rules.political import check_election, check_opinion, political_bases
from licite.rules.provenance import check_provenance
from licite.rules.retention import check_retention, keep_data
from licite.situation import Ask, Facts
from licite.vocabulary import L34_5_CHANNELS, Action, Channel, PersonKind, Purpose


def evaluate(ask: Ask, facts: Facts) -> Verdict:
    out = Findings()
    if ask.action is Action.ANALYZE:
        analyse_correspondence(ask, facts, out)
    elif ask.action is Action.RETAIN:
        keep_data(ask, facts, out)
    else:
        contact(ask, facts, out)
    return out.verdict()


def contact(ask: Ask, f: Facts, out: Findings) -> None:
    purpose = ask.purpose
    if not ask.has_address:
        out.block("NO-ADDRESS")  # SPEC §3 (v2): no address for the channel, no contact
    if purpose is Purpose.TRANSACTIONAL:
        out.basis("NOT-PROSPECTING")  # not prospecting: objections to marketing do not reach it
        check_election(ask, f, out)
        return
    consumer_call = (
        ask.channel is Channel.PHONE_CALL
        and ask.person_kind is PersonKind.CONSUMER
        and purpose is Purpose.COMMERCIAL
    )
    if purpose is Purpose.POLITICAL:
        political_bases(ask, f, out)
        check_opinion(f, out)
    elif consumer_call:
        phone_bases(ask, f, out)
    else:
        marketing_bases(ask, f, out)
    check_objection(f, out)
    check_provenance(ask, f, out)
    check_retention(f, out)
    check_election(ask, f, out)
    if ask.channel in L34_5_CHANNELS:  # the electronic channels only (v2)
        check_message(ask, out)
    if purpose is Purpose.COMMERCIAL and ask.person_kind is PersonKind.CONSUMER:
        check_sector_ban(ask, f, out)
    if consumer_call:
        check_calling_rules(ask, f, out)


__all__ = ["Verdict", "evaluate"]
