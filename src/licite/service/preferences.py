"""The preference centre: what a person agreed to, per channel, and the controls to change it.

Opened from the person's link (`links`), for the link's sender: per channel, the
commercial consent the ledger holds, when it was given and with what wording, or its
withdrawal or an objection. Each change is a ledger event with its proof
(`person.record`): the wording shown on the button, the moment, the page and the link,
the truncated IP and the user agent — what GDPR art. 7(1) asks the sender to show.

"Stop" records a withdrawal of the channel's consent and an objection to the channel
(art. 21: the person wants no more of it, whatever basis the sender would rely on); "agree"
records a consent by a clear act with the exact sentence shown (L34-5, art. 4(11)); a
consent strictly later than the objection lifts it (SPEC 1.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from licite.i18n import Lang, Text
from licite.ledger.ledger import Ledger
from licite.ledger.rows import READ_SELECT, event_dict
from licite.service.links import Link, LinkRefused
from licite.service.pages import button_form, e, notice, page, refused
from licite.service.person import Side, known, lang_of, proof_of, record

router = APIRouter(tags=["person"])

CHANNELS: dict[str, Text] = {
    "email": Text("e-mails", "emails"),
    "sms": Text("SMS", "text messages (SMS)"),
    "phone_call": Text("appels téléphoniques", "phone calls"),
    "post": Text("courrier postal", "post"),
}
TITLE = Text("Mes préférences de contact", "My contact preferences")
INTRO = Text(
    "Ce que vous avez accepté de recevoir de {sender}, canal par canal. Chaque changement est"
    " enregistré avec sa date.",
    "What you agreed to receive from {sender}, channel by channel. Every change is recorded"
    " with its date.",
)
BY_CHANNEL = Text("Par canal", "By channel")
HEAD = (Text("Canal", "Channel"), Text("Situation", "Status"), Text("Action", "Action"))
AGREED = Text("Accepté le {at} : « {wording} »", "Agreed on {at}: “{wording}”")
AGREED_BARE = Text("Accepté le {at}", "Agreed on {at}")
WITHDRAWN = Text("Accord retiré le {at}", "Consent withdrawn on {at}")
OBJECTED = Text("Opposition enregistrée le {at}", "Objection recorded on {at}")
NOTHING = Text("Aucun accord enregistré", "No consent recorded")
NOT_VALID = Text(
    "Accord recueilli le {at} d'une manière qui ne vaut pas consentement (case pré-cochée,"
    " conditions générales, silence…) : il ne compte pas",
    "Consent collected on {at} in a way that is not consent (pre-ticked box, terms of"
    " service, silence…): it does not count",
)
INVALID_MECHANISMS = frozenset({"terms_acceptance", "preticked", "misleading_design", "implicit"})
"""GDPR art. 4(11), CJEU Planet49, CE 11 Mar 2015: the engine does not count these
(SPEC 1.2); the page must not tell the person they agreed."""
STOP = Text("Ne plus recevoir de {channel} de {sender}", "Stop {channel} from {sender}")
AGREE = Text(
    "J'accepte de recevoir les offres commerciales de {sender} par {channel}",
    "I agree to receive commercial offers from {sender} by {channel}",
)
DONE = Text("Votre choix est enregistré.", "Your choice is recorded.")
STOP_ALL = Text(
    "Ne plus rien recevoir de {sender}, par aucun canal",
    "Receive nothing more from {sender}, on any channel",
)
BAD = Text("Demande illisible : rien n'a été changé.", "Unreadable request: nothing was changed.")


FORM_MAX = 4096
"""The page's form sends two short fields: anything longer is not from it."""


@dataclass(frozen=True, slots=True)
class Standing:
    """Where one channel stands for the link's sender: the latest event that decides it."""

    state: str  # agreed | not_valid | withdrawn | objected | none
    at: str | None = None
    wording: str | None = None


def standings(ledger: Ledger, link: Link) -> dict[str, Standing]:
    rows = ledger.store.read(
        f"SELECT {READ_SELECT}, proof_wording FROM events WHERE person_id = ?"
        " AND type IN ('consent', 'withdrawal', 'objection') ORDER BY at_us, seq",
        (link.person,),
    )
    texts = _wordings(ledger, {r[-1] for r in rows if r[-1]})
    found = {channel: Standing("none") for channel in CHANNELS}
    for row in rows:
        event = event_dict(row[:-1])
        for channel in _channels(event, link.sender):
            wording = texts.get(row[-1]) if row[-1] else event.get("wording")
            at = str(event["at"])
            state = _state(event["type"])
            if state == "agreed" and event.get("mechanism") in INVALID_MECHANISMS:
                state = "not_valid"
            found[channel] = Standing(state, f"{at[:10]} {at[11:16]}", wording)
    return found


def _channels(event: dict[str, Any], sender: str) -> list[str]:
    """The page's channels this event speaks about, for this sender (commercial only)."""
    if event.get("sender", sender) not in (sender, "all"):
        return []
    if event.get("purpose", "commercial") != "commercial" or event.get("processing"):
        return []
    channel = event.get("channel", "all")
    return list(CHANNELS) if channel == "all" else [channel] if channel in CHANNELS else []


def _state(kind: str) -> str:
    return {"consent": "agreed", "withdrawal": "withdrawn", "objection": "objected"}[kind]


def _wordings(ledger: Ledger, shas: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for sha in sorted(shas):
        rows = ledger.store.read("SELECT text FROM wordings WHERE sha256 = ?", (sha,))
        if rows:
            found[sha] = rows[0][0]
    return found


def _row(channel: str, standing: Standing, sender: str, lang: Lang) -> str:
    name = CHANNELS[channel](lang)
    if standing.state == "agreed":
        said = standing.wording
        status = (AGREED if said else AGREED_BARE)(lang).format(at=standing.at, wording=said)
    else:
        which = {
            "withdrawn": WITHDRAWN,
            "objected": OBJECTED,
            "none": NOTHING,
            "not_valid": NOT_VALID,
        }[standing.state]
        status = which(lang).format(at=standing.at)
    if standing.state == "agreed":
        control = button_form(
            "",
            STOP(lang).format(channel=name, sender=sender),
            {"action": "stop", "channel": channel},
        )
    else:
        control = button_form(
            "",
            AGREE(lang).format(channel=name, sender=sender),
            {"action": "agree", "channel": channel},
            secondary=True,
        )
    return f'<tr><th scope="row">{e(name)}</th><td>{e(status)}</td><td>{control}</td></tr>'


def _centre(side: Side, link: Link, lang: Lang, said: str = "", status: int = 200) -> HTMLResponse:
    found = standings(side.context.ledger(), link)
    head = "".join(f'<th scope="col">{e(t(lang))}</th>' for t in HEAD)
    rows = "".join(_row(c, found[c], link.sender, lang) for c in CHANNELS)
    other = "en" if lang == "fr" else "fr"
    body = (
        said
        + f"<p>{e(INTRO(lang).format(sender=link.sender))}</p>"
        + f"<table><caption>{e(BY_CHANNEL(lang))}</caption><thead><tr>{head}</tr></thead>"
        + f"<tbody>{rows}</tbody></table>"
        + "<p>"
        + button_form("", STOP_ALL(lang).format(sender=link.sender), {"action": "stop_all"})
        + "</p>"
        + f'<p><a href="?lang={other}" hreflang="{other}" lang="{other}">'
        + ("English" if other == "en" else "Français")
        + "</a></p>"
    )
    return page(lang, TITLE, body, status)


@router.get("/p/{token}", response_class=HTMLResponse, include_in_schema=False)
def preferences_page(token: str, request: Request, side: Side) -> HTMLResponse:
    lang = lang_of(request)
    try:
        link = side.read(token)
    except LinkRefused as refusal:
        return refused(lang, refusal.reason)
    if not known(side, link):
        return refused(lang, "unknown")
    return _centre(side, link, lang)


@router.post("/p/{token}", response_class=HTMLResponse, include_in_schema=False)
async def change_preferences(token: str, request: Request, side: Side) -> HTMLResponse:
    lang = lang_of(request)
    try:
        link = side.read(token)
    except LinkRefused as refusal:
        return refused(lang, refusal.reason)
    if not known(side, link):
        return refused(lang, "unknown")
    raw = await request.body()
    try:
        if len(raw) > FORM_MAX:
            raise ValueError("too long")
        form = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:
        return _centre(side, link, lang, notice(BAD(lang), refused=True), 400)
    action = form.get("action", [""])[0]
    channel = form.get("channel", [""])[0]
    change = _change(action, channel, link, lang)
    if change is None:
        return _centre(side, link, lang, notice(BAD(lang), refused=True), 400)
    events, wording = change
    record(side, link, events, proof_of(request, link, "/p", wording))
    return _centre(side, link, lang, notice(DONE(lang)))


def _change(
    action: str, channel: str, link: Link, lang: Lang
) -> tuple[list[dict[str, Any]], str] | None:
    """The events a button records, and the sentence the person clicked."""
    sender = link.sender
    if action == "stop_all":
        objection = {"type": "objection", "channel": "all", "sender": sender, "via": "form"}
        return [objection], STOP_ALL(lang).format(sender=sender)
    if channel not in CHANNELS:
        return None
    name = CHANNELS[channel](lang)
    if action == "stop":
        withdrawal = {
            "type": "withdrawal",
            "channel": channel,
            "purpose": "commercial",
            "sender": sender,
        }
        objection = {"type": "objection", "channel": channel, "sender": sender, "via": "form"}
        return [withdrawal, objection], STOP(lang).format(channel=name, sender=sender)
    if action == "agree":
        consent = {
            "type": "consent",
            "channel": channel,
            "purpose": "commercial",
            "sender": sender,
            "mechanism": "clear_act",
        }
        return [consent], AGREE(lang).format(channel=name, sender=sender)
    return None
