"""Analysis of private correspondence — CPCE art. L32-3, D. 98-5 I (law/analysis.yaml).

Display, sorting, routing, spam and malware detection need no consent
(L32-3 III). Advertising, statistics and service improvement need the user's
express consent to this very processing and purpose, renewed every year
(L32-3 IV, D. 98-5 I). Anything else stays secret even with consent
(L32-3 I–II). A processing begun before 31 March 2017 had until 30 September
2017 to obtain consent (décret n° 2017-428 art. 2).
"""

from __future__ import annotations

from licite.parameters import start
from licite.rules.consent import explain_missing_consent
from licite.rules.findings import Findings
from licite.situation import Ask, Facts
from licite.vocabulary import EXEMPT_ANALYSIS, AnalysisPurpose


def analyse_correspondence(ask: Ask, f: Facts, out: Findings) -> None:
    purpose = ask.analysis_purpose
    if purpose in EXEMPT_ANALYSIS:
        out.basis("EXEMPT-ANALYSIS")
        return
    if purpose is AnalysisPurpose.OTHER:
        out.block("ANALYSIS-PURPOSE-FORBIDDEN")
        return
    if f.consent:
        out.basis("CONSENT", "consent_expires")
    if in_transition(ask):
        out.basis("TRANSITIONAL-PERIOD", "transition_ends")
        out.warn("WARN-TRANSITIONAL-PERIOD", with_basis="TRANSITIONAL-PERIOD")
    out.refuse("ANALYSIS-NO-CONSENT")
    explain_missing_consent(f, out)


def in_transition(ask: Ask) -> bool:
    """Décret n° 2017-428 art. 2: a processing already running keeps going until 30 Sept. 2017."""
    return (
        ask.processing_since is not None
        and ask.processing_since < start("correspondence_decree")
        and ask.at < start("correspondence_transition_ends")
    )
