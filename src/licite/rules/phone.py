"""Telephone marketing to consumers — C. consom. art. L223-1 s., D. 223-9 (law/phone.yaml).

Until 10 August 2026 an opt-out regime: no call to a number on the opposition
list (Bloctel) unless a current contract covers the offer or it is a press
subscription (L223-5); the call list must have been cleaned within the month.
From 11 August 2026 (loi n° 2025-594 art. 13): prior consent, a current
contract the offer relates to, or a press subscription (L223-5 still excludes
the press); a refusal during a call takes the consent back. From 1 March 2023
(D. 223-9), for every such call: Monday to Friday, within the calling hours of
the consumer's local time, never on a public holiday of C. trav. L3133-1 (a
holiday of the consumer's place alone is flagged, not forbidden), at most four
calls in thirty days, and none for sixty days after a refusal — unless the
consumer agreed to calls outside those hours. From 1 January 2023 the call
shows a number of Arcep's canvassing ranges (décision 2022-1583). Some sectors
may not be canvassed at all.
"""

from __future__ import annotations

from datetime import datetime

from licite.parameters import hours, period, prefixes, start
from licite.rules.consent import explain_missing_consent
from licite.rules.findings import Findings
from licite.situation import Ask, Facts
from licite.vocabulary import Channel, Sector

_BANNED_FROM_2025 = frozenset({Sector.ENERGY_RENOVATION, Sector.HOME_ADAPTATION})
_BANNED_CHANNELS_2025 = frozenset({Channel.PHONE_CALL, Channel.EMAIL, Channel.SMS, Channel.MMS})


def phone_bases(ask: Ask, f: Facts, out: Findings) -> None:
    """A commercial call to a consumer: opt-out list until 10 Aug. 2026, consent from the 11th."""
    if f.contract_related:
        out.basis("CONTRACT", "retention_ends")
    if ask.sector is Sector.PRESS:
        out.basis("PRESS-EXCEPTION", "retention_ends")
    if ask.at >= start("phone_opt_in"):
        if f.consent:
            out.basis("CONSENT", "retention_ends")
        out.refuse("PHONE-NO-CONSENT")
        explain_missing_consent(f, out)
        return
    if f.contract_related or ask.sector is Sector.PRESS:
        return
    out.basis("OPT-OUT", "retention_ends", "bloctel_fresh_until", "phone_opt_in")
    if f.bloctel_registered:
        out.block("BLOCTEL-REGISTERED")
    if not bloctel_list_fresh(ask):
        out.block("BLOCTEL-LIST-STALE")
    if ask.at >= start("phone_reform_published"):
        out.warn("WARN-PHONE-OPT-IN-AHEAD", with_basis="OPT-OUT")


def bloctel_list_fresh(ask: Ask) -> bool:
    """R. 223-6: the list was cleaned against the opposition list within the last month."""
    checked = ask.bloctel_checked_at
    return checked is not None and checked <= ask.at < period("bloctel_freshness", ask.at).after(
        checked
    )


def check_calling_rules(ask: Ask, f: Facts, out: Findings) -> None:
    """D. 223-9, from 1 March 2023: days, hours, frequency, cooldown after a refusal."""
    check_caller_id(ask, out)
    if ask.at < start("calling_rules"):
        out.lapse("calling_hours_from")  # the same call may fall outside the hours then
        return
    local = ask.at.astimezone(ask.place.zone)
    if ask.place.is_local_holiday(local.date()):
        out.warn_any("PHONE-LOCAL-HOLIDAY")  # a lawful day: C. trav. L3133-1 names it not
    if not f.consent_outside_hours:
        weekend = local.weekday() >= 5
        # The hours are those of Monday to Friday: a weekend call is outside them too.
        if weekend or not within_calling_hours(local):
            out.block("PHONE-OUTSIDE-HOURS")
        if weekend or ask.place.is_public_holiday(local.date()):
            out.block("PHONE-FORBIDDEN-DAY")
        out.lapse("calling_window_ends")
    if f.calls_capped:
        out.block("PHONE-FREQUENCY-CAP")
    if f.refused_recently:
        out.block("PHONE-REFUSAL-COOLDOWN")


def within_calling_hours(local: datetime) -> bool:
    return calling_window_end(local) is not None


def calling_window_end(local: datetime) -> datetime | None:
    """The end of the calling window `local` (the consumer's local time) lies in, if any."""
    moment = local.time()
    for opens, end in hours("calling_hours", local):
        if opens <= moment < end:
            return local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return None


def check_caller_id(ask: Ask, out: Findings) -> None:
    """Arcep décision 2022-1583, from 1 Jan. 2023: the call shows a canvassing number."""
    if ask.at < start("caller_id"):
        if ask.caller_id is not None and not canvassing_number(ask.caller_id, ask.at):
            out.lapse("caller_id_from")
        return
    if ask.caller_id is None:
        out.oblige("OBL-CALLER-ID")
    elif not canvassing_number(ask.caller_id, ask.at):
        out.block("CALLER-ID-NOT-ALLOWED")


def canvassing_number(e164: str, at: datetime) -> bool:
    return e164.startswith(prefixes("canvassing_ranges", at))


def check_sector_ban(ask: Ask, f: Facts, out: Findings) -> None:
    """Loi 2020-901 (energy renovation by phone); loi 2025-594 (home adaptation, email, SMS).
    Only a current contract whose object the offer relates to lifts the ban (v2)."""
    if f.contract_related or ask.sector is None:
        return
    # Each ban, with the moment it starts; one already started blocks, one ahead lapses.
    for applies, starts, moment in (
        (
            ask.sector is Sector.ENERGY_RENOVATION and ask.channel is Channel.PHONE_CALL,
            start("energy_renovation_phone_ban"),
            "energy_renovation_ban_from",
        ),
        (
            ask.sector in _BANNED_FROM_2025 and ask.channel in _BANNED_CHANNELS_2025,
            start("sector_ban_extended"),
            "sector_ban_from",
        ),
    ):
        if not applies:
            continue
        if ask.at >= starts:
            out.block("SECTOR-BAN")
        else:
            out.lapse(moment)
