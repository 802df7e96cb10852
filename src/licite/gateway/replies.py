"""The gateway's SMTP replies (RFC 5321 §4.2, enhanced codes RFC 3463).

SMTP replies are ASCII: each says it in English and in French without accents, and a
refusal names its reason codes with their citations, as `licite decide` does.
"""

from __future__ import annotations

from licite.decision import Decision
from licite.gateway.message import CAMPAIGN_HEADER, ascii_only
from licite.gateway.recipients import Decided
from licite.gateway.relay import Upstream
from licite.i18n import Text
from licite.wording import citation

LINE = 500
"""Octets a reply line may carry, its code included (RFC 5321 §4.5.3.1.5: 512)."""


def reply(code: int, enhanced: str, lines: list[str]) -> str:
    """A one- or multi-line reply, each line cut to what SMTP allows."""
    shown = [ascii_only(line)[: LINE - len(enhanced) - 5] for line in lines] or [""]
    out = [f"{code}-{enhanced} {line}" for line in shown[:-1]]
    out.append(f"{code} {enhanced} {shown[-1]}")
    return "\r\n".join(out)


def bilingual(text: Text) -> str:
    return text.en if text.en == text.fr else f"{text.en} / {text.fr}"


def reasons(decision: Decision, only: str = "") -> str:
    """`CODE citation; CODE citation`, the codes SPEC §3 lists, in English citation form."""
    return "; ".join(
        f"{r.code} {citation(r.citation, 'en')}"
        for r in decision.reasons
        if r.code.startswith(only)
    )


def campaign_refused(problem: str, shown: str = "") -> str:
    texts = {
        "missing": Text(
            f"{CAMPAIGN_HEADER}: en-tete absent, la campagne n'est pas nommee",
            f"{CAMPAIGN_HEADER}: header missing, the message names no campaign",
        ),
        "several": Text(
            f"{CAMPAIGN_HEADER}: un seul en-tete attendu (recu : {shown})",
            f"{CAMPAIGN_HEADER}: exactly one header expected (got {shown})",
        ),
        "malformed": Text(
            f"{CAMPAIGN_HEADER}: identifiant invalide (recu : {shown!r})",
            f"{CAMPAIGN_HEADER}: not a campaign id (got {shown!r})",
        ),
        "unknown": Text(
            f"{CAMPAIGN_HEADER}: aucune campagne {shown!r} enregistree (licite campaigns add)",
            f"{CAMPAIGN_HEADER}: no campaign {shown!r} registered (licite campaigns add)",
        ),
        "channel": Text(
            f"{CAMPAIGN_HEADER}: la campagne n'est pas un envoi d'emails ({shown})",
            f"{CAMPAIGN_HEADER}: the campaign is not an email contact ({shown})",
        ),
    }
    text = texts[problem]
    return reply(550, "5.7.1", [text.en, text.fr])


def message_refused(decision: Decision) -> str:
    return reply(
        550,
        "5.7.1",
        [
            reasons(decision, "MSG-"),
            bilingual(Text("message refuse en entier", "whole message refused")),
        ],
    )


def unreadable(what: str) -> str:
    """The header block is not RFC 5322's; `what` is the offending line's start or the
    problem, shown as it is (ASCII, cut)."""
    return reply(
        550,
        "5.6.0",
        [f"message not readable, header fields: {what}", "message illisible, en-tetes"],
    )


def retry(reached: int) -> str:
    """The second line of a 451: the retry will not double anyone's copy."""
    return bilingual(
        Text(
            f"{reached} destinataire(s) deja servi(s) ne recevront pas de double",
            f"{reached} recipient(s) already reached will not get a second copy",
        )
    )


def final(
    everyone: list[Decided],
    refused: list[Decided],
    upstream_refused: list[tuple[Decided, Upstream]],
) -> str:
    """The reply to DATA once every recipient was decided and the allowed ones relayed
    (or reached by an earlier try): 250, 550 with the refusals, or 250 naming them."""
    lines = [f"<{d.address}> {reasons(d.decision)}" for d in refused]
    lines += [f"<{d.address}> {error.text}" for d, error in upstream_refused]
    taken = len(everyone) - len(refused) - len(upstream_refused)
    if not lines:
        done = Text(f"{taken} destinataire(s) servi(s)", f"{taken} recipient(s) reached")
        return reply(250, "2.0.0", [bilingual(done)])
    if taken == 0:
        if len(refused) == 1 and not upstream_refused:
            return reply(550, "5.7.1", [reasons(refused[0].decision)])
        if upstream_refused and not refused:
            first = upstream_refused[0][1]
            return reply(first.code, first.enhanced, lines)
        return reply(550, "5.7.1", lines)
    head = Text(
        f"{taken} servi(s), {len(lines)} refuse(s) :",
        f"{taken} reached, {len(lines)} refused:",
    )
    return reply(250, "2.0.0", [bilingual(head), *lines])
