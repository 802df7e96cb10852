"""One-click unsubscribe (RFC 8058), and the headers a sender puts on each message.

`List-Unsubscribe: <https://…/u/LINK>, <mailto:…>` with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`: a mailbox provider POSTs to the link
and the objection (GDPR art. 21, CPCE L34-5) is recorded at once, with its proof. A GET
only shows a page asking to confirm and changes nothing: mail security scanners follow
every link of a message, and must not unsubscribe anyone. Gmail and Yahoo require this
of bulk senders since February 2024.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from licite.errors import LiciteError, ProblemError, UnknownPerson
from licite.i18n import Lang, Text
from licite.ledger.ledger import Ledger
from licite.service import campaigns
from licite.service.context import Ctx, Write, as_json
from licite.service.links import Link, LinkRefused, make_link
from licite.service.pages import button_form, e, notice, page, refused
from licite.service.person import PersonSide, Side, known, lang_of, link_url, proof_of, record
from licite.service.person_config import PersonSettings
from licite.service.problems import responses

router = APIRouter(tags=["person"])

ONE_CLICK = "List-Unsubscribe=One-Click"

TITLE = Text("Désabonnement", "Unsubscribe")
ASK = Text(
    "Ne plus recevoir d'emails de {sender} ? Confirmez avec le bouton ci-dessous.",
    "Stop receiving emails from {sender}? Confirm with the button below.",
)
CONFIRM = Text("Me désabonner", "Unsubscribe me")
DONE = Text(
    "C'est fait : vous ne recevrez plus d'emails de {sender}. Votre opposition est enregistrée.",
    "Done: you will no longer receive emails from {sender}. Your objection is recorded.",
)
PREFERENCES = Text("Gérer toutes mes préférences", "Manage all my preferences")


def headers_for(
    settings: PersonSettings, key: bytes, ledger: Ledger, person_id: str, campaign_id: str
) -> dict[str, Any]:
    """The header values for one person and one registered campaign, and the links."""
    sender = campaigns.get_campaign(ledger, campaign_id).campaign.sender.id
    try:
        ledger.person(person_id)
    except UnknownPerson:
        raise ProblemError(
            "not-found",
            Text(
                f"person : aucune personne dans le registre (valeur reçue : {person_id!r})",
                f"person: no such person in the ledger (got {person_id!r})",
            ),
        ) from None
    return header_values(settings, key, person_id, sender, campaign_id)


def header_values(
    settings: PersonSettings, key: bytes, person_id: str, sender: str, campaign_id: str
) -> dict[str, Any]:
    """`headers_for` once the person and the campaign's sender are known (the mail
    gateway, which has just decided that person against that campaign)."""
    link = make_link(key, person_id, sender, days=settings.link_days, campaign=campaign_id)
    targets = [f"<{link_url(settings, 'u', link)}>"]
    if settings.mailto is not None:
        subject = quote(f"unsubscribe {link.token}")
        targets.append(f"<mailto:{settings.mailto}?subject={subject}>")
    return {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": ONE_CLICK,
        "preferences": link_url(settings, "p", link),
        "expires_at": link.expires.isoformat(),
    }


@router.get(
    "/v1/people/{person_id}/unsubscribe-headers",
    summary="List-Unsubscribe and List-Unsubscribe-Post for a person and a campaign",
    responses=responses("not-found"),
)
def unsubscribe_headers(
    person_id: str, campaign: str, ctx: Ctx, side: Side, key: Write
) -> Response:
    return as_json(headers_for(side.settings, side.links_key, ctx.ledger(), person_id, campaign))


@router.get("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(token: str, request: Request, side: Side) -> HTMLResponse:
    lang = lang_of(request)
    try:
        link = side.read(token)
    except LinkRefused as refusal:
        return refused(lang, refusal.reason)
    body = f"<p>{e(ASK(lang).format(sender=link.sender))}</p>" + button_form(
        "", CONFIRM(lang), {"List-Unsubscribe": "One-Click"}
    )
    body += f'<p><a href="{e(_preferences(side, link, lang))}">{e(PREFERENCES(lang))}</a></p>'
    return page(lang, TITLE, body)


@router.post("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe(token: str, request: Request, side: Side) -> HTMLResponse:
    lang = lang_of(request)
    try:
        link = side.read(token)
    except LinkRefused as refusal:
        return refused(lang, refusal.reason)
    objection = {
        "type": "objection",
        "channel": "email",
        "sender": link.sender,
        "via": "unsubscribe_link",
    }
    wording = ASK(lang).format(sender=link.sender)
    try:
        record(side, link, [objection], proof_of(request, link, "/u", wording))
    except LiciteError:
        # The append refuses a person the ledger does not hold, or erased (no key to seal
        # the proof with, or no such person under the journal's lock): asked only then,
        # not at every request, whether that is why.
        if not known(side, link):
            return refused(lang, "unknown")
        raise
    return page(lang, TITLE, notice(DONE(lang).format(sender=link.sender)))


def _preferences(side: PersonSide, link: Link, lang: Lang) -> str:
    return link_url(side.settings, "p", link) + ("?lang=en" if lang == "en" else "")
