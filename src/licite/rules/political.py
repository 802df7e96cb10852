"""Political communication — CNIL délib. 2012-020, RGPD art. 9 (law/political.yaml).

Political messages by email, SMS, MMS, fax, inbox ad or phone need consent to
political communication, unless the person is a regular contact (member,
donor, someone who wrote to the candidate). Opinions inferred from social
networks may never be used. Once the election is over, data of people who are
neither regular contacts nor consenting must be gone (CNIL, « Élections : sept
réflexes »).
"""

from __future__ import annotations

from datetime import datetime

from licite.moments import PARIS, add_period, start_of_day
from licite.rules.consent import explain_missing_consent
from licite.rules.findings import Findings
from licite.situation import Ask, Facts
from licite.vocabulary import Channel


def political_bases(ask: Ask, f: Facts, out: Findings) -> None:
    if f.consent:
        out.basis("CONSENT", "retention_ends")
    if f.regular_contact:
        out.basis("POLITICAL-REGULAR-CONTACT", "retention_ends")
    if ask.channel is Channel.POST:
        out.basis("OPT-OUT", "retention_ends")
    out.refuse("POLITICAL-NO-CONSENT")
    explain_missing_consent(f, out)


def check_opinion(f: Facts, out: Findings) -> None:
    """RGPD art. 9(1): attributing political opinions is forbidden processing."""
    if f.opinion_inferred:
        out.block("POLITICAL-OPINION-INFERRED")


def check_election(ask: Ask, f: Facts, out: Findings) -> None:
    """From the day after the election, only regular contacts and consenting people remain."""
    if ask.election_ends is None or not f.known or f.regular_contact or f.political_consent:
        return
    if ask.at >= election_over(ask):
        out.block("POLITICAL-ELECTION-ENDED")
    else:
        out.lapse("election_over")


def election_over(ask: Ask) -> datetime:
    """00:00 Paris on the day after the election's last day."""
    assert ask.election_ends is not None
    return add_period(start_of_day(ask.election_ends.astimezone(PARIS).date()), days=1)
