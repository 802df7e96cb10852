"""Electronic direct marketing — CPCE art. L34-5 (law/marketing.yaml).

Commercial messages by email, SMS, MMS, fax, automated call or inbox ad need
prior consent (al. 1). Exceptions: the soft opt-in for a customer offered
analogous products who could object at collection (al. 4, email/SMS/MMS only);
a professional addressed about their profession (CNIL B2B doctrine,
email/SMS/MMS only); a legal person's generic address. Charitable appeals are
outside L34-5. Every message identifies the sender, offers a free way out and
has a subject related to the offer (al. 5–6). Post, and phone calls to
non-consumers, are under an opt-out regime.
"""

from __future__ import annotations

from licite.rules.consent import explain_missing_consent
from licite.rules.findings import Findings
from licite.situation import Ask, Facts
from licite.vocabulary import ELECTRONIC_MAIL, INDIRECT_METHODS, Channel, PersonKind, Purpose


def marketing_bases(ask: Ask, f: Facts, out: Findings) -> None:
    """The bases for a commercial or charitable contact outside consumer phone calls."""
    channel, kind = ask.channel, ask.person_kind
    commercial = ask.purpose is Purpose.COMMERCIAL
    if f.consent:
        out.basis("CONSENT", "retention_ends")
    if channel in ELECTRONIC_MAIL and soft_opt_in(f):
        out.basis("SOFT-OPT-IN", "retention_ends")
    if channel in ELECTRONIC_MAIL and kind is PersonKind.PROFESSIONAL and ask.relates_to_profession:
        if could_object(f):
            out.basis("B2B-RELEVANT", "retention_ends")
        else:
            out.detail("B2B-NO-OPT-OUT")
    if kind is PersonKind.GENERIC_BUSINESS_ADDRESS:
        out.basis("GENERIC-ADDRESS", "retention_ends")
    if ask.purpose is Purpose.CHARITABLE:
        out.basis("NON-COMMERCIAL", "retention_ends")
    if channel is Channel.POST or channel is Channel.PHONE_CALL:
        out.basis("OPT-OUT", "retention_ends")
    out.refuse("PROSPECT-NO-CONSENT")
    explain_missing_consent(f, out)
    if commercial and channel in ELECTRONIC_MAIL:
        explain_exceptions(ask, f, out)


def could_object(f: Facts) -> bool:
    """CNIL B2B doctrine (v2): a direct collection offered the chance to object; an indirect
    one is governed by the information of RGPD art. 14 (`check_provenance`)."""
    return not f.collected or f.method in INDIRECT_METHODS or f.opt_out_offered


def soft_opt_in(f: Facts) -> bool:
    """L34-5 al. 4: a customer, an analogous offer, a chance to object at collection."""
    return f.customer and f.offer_analogous and f.opt_out_offered


def explain_exceptions(ask: Ask, f: Facts, out: Findings) -> None:
    """Why the soft opt-in or the B2B exception, which were there, do not apply."""
    if f.customer:
        if not f.offer_analogous:
            out.detail("SOFT-OPT-IN-NOT-ANALOGOUS")
        if not f.opt_out_offered:
            out.detail("SOFT-OPT-IN-NOT-OFFERED")
    if ask.person_kind is PersonKind.PROFESSIONAL and not ask.relates_to_profession:
        out.detail("B2B-NOT-RELEVANT")


def check_message(ask: Ask, out: Findings) -> None:
    """L34-5 al. 5–6: the message as described, or the obligations when it is not. A
    political message must identify its sender and offer a way out too (RGPD art. 12–14,
    21; CNIL, 18 Dec. 2025); the subject rule is L34-5's alone."""
    political = ask.purpose is Purpose.POLITICAL
    if ask.identifies_sender is False:
        out.block("MSG-SENDER-HIDDEN")
    if ask.opt_out is False:
        out.block("MSG-NO-OPT-OUT")
    if ask.subject_related is False and not political:
        out.block("MSG-SUBJECT-UNRELATED")
    if ask.identifies_sender is None or (ask.subject_related is None and not political):
        out.oblige("OBL-IDENTIFY-SENDER")
    if ask.opt_out is None:
        out.oblige("OBL-OPT-OUT-MEANS")
