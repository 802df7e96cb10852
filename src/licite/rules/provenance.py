"""Where the data came from — RGPD art. 5, 6, 7(1), 14 (law/provenance.yaml).

Read from the latest `collected` event. Scraping against a site's terms is
unfair collection (CNIL Nestor, KASPR). Data obtained indirectly must be
followed by information within a month (art. 14(3)(a)); within that month the
first message must carry it. A bought or rented list needs a consent to
transmission to partners named at collection, and the buyer must hold
individual proof of it (art. 7(1), from 25 May 2018; CNIL EDF, Canal+).
Political files serve political communication only; administrative and HR
files never serve it (purpose limitation, art. 5(1)(b)).
"""

from __future__ import annotations

from licite.parameters import start
from licite.rules.findings import Findings
from licite.situation import Ask, Facts
from licite.vocabulary import (
    BOUGHT_LIST_METHODS,
    INDIRECT_METHODS,
    CollectPurpose,
    Method,
    Purpose,
)


def check_provenance(ask: Ask, f: Facts, out: Findings) -> None:
    if not f.collected:
        return
    if f.method is Method.SCRAPING and f.terms_forbid_reuse:
        out.block("PROVENANCE-TERMS-FORBID")
    if f.method in INDIRECT_METHODS and not f.informed:
        if f.inform_window_open:
            out.oblige("OBL-ART14-INFORM", "inform_deadline")
        else:
            out.block("PROVENANCE-NOT-INFORMED")
    # Where a relevant B2B message needs no consent, the list's consent is not asked for:
    # the person must be informed (above) (SPEC 1.4, v2).
    if f.method in BOUGHT_LIST_METHODS and "B2B-RELEVANT" not in out.bases:
        if not f.partner_consent:
            out.block("PROVENANCE-NO-PARTNER-CONSENT")
        if ask.at >= start("gdpr") and not f.consent_proof:
            out.block("CONSENT-NO-PROOF")
        elif not f.consent_proof:
            out.lapse("consent_proof_from")
    if purpose_diverted(ask, f):
        out.block("PROVENANCE-PURPOSE-DIVERSION")


def purpose_diverted(ask: Ask, f: Facts) -> bool:
    political = ask.purpose is Purpose.POLITICAL
    if f.collected_purpose is CollectPurpose.POLITICAL and not political:
        return True
    return political and f.method in (Method.PUBLIC_SECTOR_FILE, Method.HR_FILE)
