"""Yearly renewals of analysis consents (CPCE L32-3, D. 98-5 I: renewed every year).

Which consents lapse soon is asked of the engine itself, not computed again here: for
each person, processing and purpose with an analysis consent in the ledger, the decision
`analyze` at this moment; when it is allowed on basis CONSENT and its `expires_at` falls
within the window, the consent is due, with the person's renewal link. So this list and
`/v1/decide` cannot disagree about when a consent lapses, nor about a withdrawal.

The renewal page (`GET /r/{link}`) shows the processing and purpose and the sentence to
agree to; its button (`POST`) records a new consent by a clear act with that sentence as
its proof (art. 7(1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from licite.case import load_campaign
from licite.errors import InvalidInput, LiciteError
from licite.i18n import Lang, Text
from licite.ledger.decide import decide_person
from licite.ledger.ledger import Ledger
from licite.moments import PARIS, iso
from licite.service.context import Ctx, Write, as_json
from licite.service.links import Link, LinkRefused, make_link
from licite.service.pages import button_form, e, notice, page, refused
from licite.service.person import Side, known, lang_of, link_url, proof_of, record
from licite.service.person_config import PersonSettings
from licite.service.problems import responses

router = APIRouter(tags=["person"])

TITLE = Text("Renouveler mon accord", "Renew my consent")
AGREE = Text(
    "J'accepte que {sender} analyse mes correspondances pour « {purpose} »"
    " (traitement {processing}) pendant un an",
    "I agree that {sender} analyses my correspondence for '{purpose}'"
    " (processing {processing}) for one year",
)
DONE = Text("Votre accord est renouvelé pour un an.", "Your consent is renewed for one year.")
NOT_RENEWAL = Text(
    "Ce lien n'est pas un lien de renouvellement.", "This link is not a renewal link."
)


@dataclass(frozen=True, slots=True)
class Renewal:
    person: str
    sender: str
    processing: str
    purpose: str
    expires_at: datetime


def parse_within(text: str) -> timedelta:
    """`30d`, `30` (days) or `8w`: the window ahead in which a lapse is due."""
    value = text.strip().lower()
    unit = 7 if value.endswith("w") else 1
    number = value[:-1] if value[-1:] in ("d", "w") else value
    if not number.isdigit() or not 1 <= int(number) * unit <= 366:
        raise InvalidInput(
            Text(
                f"within : durée illisible (valeur reçue : {text!r}) : attendu 30d, 8w…",
                f"within: unreadable duration (got {text!r}): expected 30d, 8w…",
            )
        )
    return timedelta(days=int(number) * unit)


def due(ledger: Ledger, within: timedelta, now: datetime | None = None) -> list[Renewal]:
    at = now or datetime.now(PARIS)
    rows = ledger.store.read(
        "SELECT DISTINCT e.person_id, e.sender, e.processing, e.purpose FROM events e"
        " JOIN persons p ON p.id = e.person_id AND p.erased_at_us IS NULL"
        " WHERE e.type = 'consent' AND e.processing IS NOT NULL AND e.purpose IS NOT NULL"
        " ORDER BY e.person_id, e.processing, e.purpose"
    )
    found: list[Renewal] = []
    for person, sender, processing, purpose in rows:
        who = sender or "operator"
        campaign = load_campaign(
            {
                "sender": {"id": who, "kind": "operator"},
                "request": {
                    "action": "analyze",
                    "processing": processing,
                    "analysis_purpose": purpose,
                },
            },
            name="renewal",
        )
        try:
            decision = decide_person(ledger, person, campaign, at)
        except LiciteError:
            continue  # a purpose the engine does not model at this moment has no renewal
        lapse = decision.expires_at
        if decision.allowed and decision.basis == "CONSENT" and lapse and lapse < at + within:
            found.append(Renewal(person, who, processing, purpose, lapse))
    return sorted(found, key=lambda r: (r.expires_at, r.person))


def listed(settings: PersonSettings, key: bytes, renewals: list[Renewal]) -> list[dict[str, Any]]:
    out = []
    for r in renewals:
        link = make_link(
            key, r.person, r.sender, days=settings.link_days, analysis=(r.processing, r.purpose)
        )
        out.append(
            {
                "person": r.person,
                "sender": r.sender,
                "processing": r.processing,
                "purpose": r.purpose,
                "expires_at": iso(r.expires_at),
                "renewal_link": link_url(settings, "r", link),
            }
        )
    return out


@router.get(
    "/v1/renewals",
    summary="Analysis consents that lapse soon (L32-3, D. 98-5 I), with renewal links",
    responses=responses("invalid-input"),
)
def renewals(ctx: Ctx, side: Side, key: Write, within: str = "30d") -> Response:
    found = due(ctx.ledger(), parse_within(within))
    return as_json({"renewals": listed(side.settings, side.links_key, found)})


def _sentence(link: Link, lang: Lang) -> str:
    assert link.analysis is not None
    processing, purpose = link.analysis
    return AGREE(lang).format(sender=link.sender, processing=processing, purpose=purpose)


def _renewal_link(token: str, lang: Lang, side: Side) -> Link | HTMLResponse:
    """The renewal link `token` names, or the page that refuses it (changing nothing)."""
    try:
        link = side.read(token)
    except LinkRefused as refusal:
        return refused(lang, refusal.reason)
    if link.analysis is None:
        return page(lang, TITLE, notice(NOT_RENEWAL(lang), refused=True), 404)
    if not known(side, link):
        return refused(lang, "unknown")
    return link


@router.get("/r/{token}", response_class=HTMLResponse, include_in_schema=False)
def renewal_page(token: str, request: Request, side: Side) -> HTMLResponse:
    lang = lang_of(request)
    link = _renewal_link(token, lang, side)
    if isinstance(link, HTMLResponse):
        return link
    body = f"<p>{e(_sentence(link, lang))}</p>" + button_form("", TITLE(lang), {"renew": "1"})
    return page(lang, TITLE, body)


@router.post("/r/{token}", response_class=HTMLResponse, include_in_schema=False)
def renew(token: str, request: Request, side: Side) -> HTMLResponse:
    lang = lang_of(request)
    link = _renewal_link(token, lang, side)
    if isinstance(link, HTMLResponse):
        return link
    assert link.analysis is not None  # a renewal link, by _renewal_link
    processing, purpose = link.analysis
    consent: dict[str, Any] = {
        "type": "consent",
        "processing": processing,
        "purpose": purpose,
        "mechanism": "clear_act",
    }
    if link.sender != "operator":
        consent["sender"] = link.sender
    record(side, link, [consent], proof_of(request, link, "/r", _sentence(link, lang)))
    return page(lang, TITLE, notice(DONE(lang)))
