"""Telephone marketing to consumers — C. consom. art. L223-1 s., D. 223-9 (law/phone.yaml).

Until 10 August 2026 an opt-out regime: no call to a number on the opposition
list (Bloctel) unless a current contract covers the offer or it is a press
subscription (L223-5); the call list must have been cleaned within the month.
From 11 August 2026 (loi n° 2025-594 art. 13): prior consent, or a current
contract the offer relates to. From 1 March 2023 (D. 223-9), for every such
call: Monday to Friday, 10:00–13:00 and 14:00–20:00 in the consumer's local
time, never on a public holiday of their place, at most four calls in thirty
days, and none for sixty days after a refusal — unless the consumer agreed to
calls outside those hours. Some sectors may not be canvassed at all.
"""

from __future__ import annotations

from datetime import datetime, time

from licite.moments import add_period
from licite.rules.consent import explain_missing_consent
from licite.rules.dates import (
    CALLING_HOURS,
    ENERGY_RENOVATION_PHONE_BAN,
    PHONE_OPT_IN,
    SECTOR_BAN_EXTENDED,
)
from licite.rules.findings import Findings
from licite.situation import Ask, Facts
from licite.vocabulary import Channel, Sector

CALLING_WINDOWS = ((time(10, 0), time(13, 0)), (time(14, 0), time(20, 0)))
"""D. 223-9: half-open windows of the consumer's local time, Monday to Friday."""
OPT_IN_WARNING_FROM = SECTOR_BAN_EXTENDED  # loi n° 2025-594 published 1 July 2025
_BANNED_FROM_2025 = frozenset({Sector.ENERGY_RENOVATION, Sector.HOME_ADAPTATION})
_BANNED_CHANNELS_2025 = frozenset({Channel.PHONE_CALL, Channel.EMAIL, Channel.SMS, Channel.MMS})


def phone_bases(ask: Ask, f: Facts, out: Findings) -> None:
    """A commercial call to a consumer: opt-out list until 10 Aug. 2026, consent from the 11th."""
    if ask.at >= PHONE_OPT_IN:
        if f.consent:
            out.basis("CONSENT", "retention_ends")
        if f.contract_related:
            out.basis("CONTRACT", "retention_ends")
        out.refuse("PHONE-NO-CONSENT")
        explain_missing_consent(f, out)
        return
    if f.contract_related:
        out.basis("CONTRACT", "retention_ends")
    if ask.sector is Sector.PRESS:
        out.basis("PRESS-EXCEPTION", "retention_ends", "phone_opt_in")
    if f.contract_related or ask.sector is Sector.PRESS:
        return
    out.basis("OPT-OUT", "retention_ends", "bloctel_fresh_until", "phone_opt_in")
    if f.bloctel_registered:
        out.block("BLOCTEL-REGISTERED")
    if not bloctel_list_fresh(ask):
        out.block("BLOCTEL-LIST-STALE")
    if ask.at >= OPT_IN_WARNING_FROM:
        out.warn("WARN-PHONE-OPT-IN-AHEAD", with_basis="OPT-OUT")


def bloctel_list_fresh(ask: Ask) -> bool:
    """R. 223-6: the list was cleaned against the opposition list within the last month."""
    checked = ask.bloctel_checked_at
    return checked is not None and checked <= ask.at < add_period(checked, months=1)


def check_calling_rules(ask: Ask, f: Facts, out: Findings) -> None:
    """D. 223-9, from 1 March 2023: days, hours, frequency, cooldown after a refusal."""
    if ask.at < CALLING_HOURS:
        return
    if not f.consent_outside_hours:
        local = ask.at.astimezone(ask.place.zone)
        weekend = local.weekday() >= 5
        # The hours are those of Monday to Friday: a weekend call is outside them too.
        if weekend or not within_calling_hours(local):
            out.block("PHONE-OUTSIDE-HOURS")
        if weekend or ask.place.is_public_holiday(local.date()):
            out.block("PHONE-FORBIDDEN-DAY")
    if f.calls_capped:
        out.block("PHONE-FREQUENCY-CAP")
    if f.refused_recently:
        out.block("PHONE-REFUSAL-COOLDOWN")


def within_calling_hours(local: datetime) -> bool:
    moment = local.time()
    return any(start <= moment < end for start, end in CALLING_WINDOWS)


def check_sector_ban(ask: Ask, f: Facts, out: Findings) -> None:
    """Loi 2020-901 (energy renovation by phone); loi 2025-594 (home adaptation, email, SMS)."""
    if f.contract_current or ask.sector is None:
        return
    banned = (
        ask.sector is Sector.ENERGY_RENOVATION
        and ask.channel is Channel.PHONE_CALL
        and ask.at >= ENERGY_RENOVATION_PHONE_BAN
    ) or (
        ask.sector in _BANNED_FROM_2025
        and ask.channel in _BANNED_CHANNELS_2025
        and ask.at >= SECTOR_BAN_EXTENDED
    )
    if banned:
        out.block("SECTOR-BAN")
