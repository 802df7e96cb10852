"""Why a consent that was there does not count (law/consent.yaml).

CPCE art. L34-5 al. 2 and RGPD art. 4(11), 7: consent is free, specific,
informed and unambiguous. Accepting terms of use (CE, 11 mars 2015,
n° 368624), a pre-ticked box (CJUE Planet49, C-673/17), a misleading design or
mere silence is not consent; a consent for another channel, purpose, sender or
processing does not cover this one; a withdrawn consent no longer counts.
"""

from __future__ import annotations

from licite.rules.findings import Findings
from licite.situation import Facts


def explain_missing_consent(f: Facts, out: Findings) -> None:
    """Detail codes beside a refusal code (shown only when no basis holds)."""
    if f.consent_withdrawn:
        out.detail("CONSENT-WITHDRAWN")
    if f.consent_expired:
        out.detail("CONSENT-EXPIRED")
    if f.consent_elsewhere:
        out.detail("CONSENT-NOT-SPECIFIC")
    if f.consent_via_terms:
        out.detail("CONSENT-VIA-TERMS")
    if f.consent_preticked:
        out.detail("CONSENT-PRETICKED")
    if f.consent_misleading:
        out.detail("CONSENT-MISLEADING")
    if f.consent_implicit:
        out.detail("CONSENT-IMPLICIT")
