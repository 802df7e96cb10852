"""The DPO's dashboard: what the ledger says happened, on one page (an admin key, or a
browser session opened with one: `dpo_session`).

Consents, withdrawals and objections a month over the last twelve (charts drawn as SVG,
each with the table it is drawn from, so a screen reader reads the numbers); the analysis
consents due for renewal within `RENEWAL_NOTICE` (`renewals`, asked of the engine); the recent
scrub jobs and their summaries; the last `licite ledger verify` and what it found (flagged
when it found a fault, never ran, or is older than `VERIFY_EVERY`); the signed head and the
latest checkpoint (the witness a third party holds); the rules whose version changed in the
last year or will in the next (the 11 August 2026 phone reform among them). Server-rendered,
no script.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from licite.catalogue import laws
from licite.i18n import Lang, Text
from licite.ledger.deliveries import report
from licite.ledger.ledger import Ledger
from licite.ledger.schema import RETENTION as RETENTION_RUNS
from licite.ledger.verifications import latest_verification
from licite.moments import PARIS, micros, moment_of_micros, paris_day
from licite.parameters import fill
from licite.service.context import Ctx
from licite.service.dpo_session import (
    COOKIE,
    DpoAccess,
    session_ended,
    sign_in_page,
    signed_in_bar,
)
from licite.service.pages import e, notice, page
from licite.service.person import lang_of
from licite.service.renewals import due

router = APIRouter(tags=["person"])

TITLE = Text("Tableau de bord du DPO", "DPO dashboard")
KINDS = {
    "consent": Text("Consentements", "Consents"),
    "withdrawal": Text("Retraits", "Withdrawals"),
    "objection": Text("Oppositions", "Objections"),
    "refusal": Text("Refus pendant un appel", "Refusals during a call"),
}
RENEWAL_NOTICE = timedelta(days=30)  # not law: how far ahead the dashboard looks
"""How far ahead the dashboard counts renewals: a product choice, not a legal period (the
consent's own year is law/parameters.yaml's `analysis_consent`)."""
MONTH = Text("Mois", "Month")
OVER_A_YEAR = Text("{name} : {n} sur douze mois", "{name}: {n} over twelve months")
COUNT = Text("Nombre", "Count")
RENEWALS = Text(
    "Consentements d'analyse à renouveler sous {days} jours : {n}",
    "Analysis consents to renew within {days} days: {n}",
)
SCRUBS = Text("Nettoyages récents", "Recent scrubs")
NO_SCRUB = Text("Aucun nettoyage.", "No scrub.")
CHAIN = Text(
    "Registre : {events} événement(s) ; tête signée le {head} ; dernier point de contrôle"
    " (témoin) : {checkpoint}",
    "Ledger: {events} event(s); head signed at {head}; latest checkpoint (witness): {checkpoint}",
)
NONE = Text("aucun", "none")
RULES = Text(
    "Règles modifiées l'an dernier ou dans l'année qui vient",
    "Rules changed in the last year or the year to come",
)
GATEWAY = Text("Passerelle de messagerie", "Mail gateway")
GATEWAY_HEAD = (
    Text("Campagne", "Campaign"),
    Text("Envoyés", "Delivered"),
    Text("Refusés", "Refused"),
    Text("Refus par code", "Refusals by code"),
)
NO_MAIL = Text("Aucun message passé par la passerelle.", "No message through the gateway.")
VERIFIED = Text(
    "Dernière vérification du registre (licite ledger verify) : {at} — intact, {events}"
    " événement(s) ; {witness}.",
    "Last verification of the ledger (licite ledger verify): {at} — intact, {events} event(s);"
    " {witness}.",
)
WITNESSED = Text("comparé au journal d'un témoin", "compared with a witness log")
NO_WITNESS = Text(
    "sans témoin : un registre ramené en arrière tout entier n'y serait pas vu",
    "without a witness: a whole ledger rolled back would not be seen",
)
TAMPERED = Text(
    "Dernière vérification du registre : {at} — ALTÉRÉ : {fault}",
    "Last verification of the ledger: {at} — TAMPERED: {fault}",
)
NEVER_VERIFIED = Text(
    "Le registre n'a jamais été vérifié : lancez « licite ledger verify --witness … » chaque"
    " jour (docs/security.md).",
    "The ledger was never verified: run 'licite ledger verify --witness …' every day"
    " (docs/security.md).",
)
STALE = Text(
    "C'était il y a {days} jours : vérifiez-le au moins chaque semaine.",
    "That was {days} days ago: verify it at least every week.",
)
VERIFY_EVERY = timedelta(days=7)  # not law: how old a verification the dashboard flags
STARTS = Text("entre en vigueur", "comes into force")
ENDS = Text("cesse de s'appliquer", "stops applying")


def monthly(ledger: Ledger, now: datetime) -> dict[str, dict[str, int]]:
    """Events a kind and a local month (the month as recorded, Europe/Paris or its offset)."""
    since = micros(now - timedelta(days=365))
    # A refusal during a call withdraws a phone consent from 11 Aug. 2026 (C. consom. L223-1).
    kind = "CASE WHEN type = 'call' THEN 'refusal' ELSE type END"
    rows = ledger.store.read(
        f"SELECT {kind}, substr(at_text, 1, 7) AS month, count(*) FROM events"
        " WHERE at_us >= ? AND (type IN ('consent', 'withdrawal', 'objection')"
        " OR (type = 'call' AND outcome = 'refused'))"
        f" GROUP BY {kind}, substr(at_text, 1, 7)",
        (since,),
    )
    found: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    for kind, month, count in rows:
        found[kind][month] = int(count)
    return found


def _months(now: datetime) -> list[str]:
    year, month = now.year, now.month
    out = []
    for _ in range(12):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


_MONTH_NAMES = {
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}
_BAR, _GAP, _TOP, _HEIGHT = 26, 4, 18, 100  # the drawing's units (its viewBox)


def _chart(kind: str, counts: dict[str, int], months: list[str], lang: Lang) -> str:
    """Twelve bars, a month each, with the month under each bar and the count above it;
    the numbers are also in the table below (a screen reader reads that)."""
    name = KINDS[kind](lang)
    top = max([1, *counts.values()])
    base = _TOP + _HEIGHT
    parts = []
    for i, m in enumerate(months):
        count = counts.get(m, 0)
        x, height = i * (_BAR + _GAP) + _GAP, count * _HEIGHT // top
        label = _MONTH_NAMES[lang][int(m[5:7]) - 1]
        parts.append(
            f'<rect x="{x}" y="{base - height}" width="{_BAR}" height="{height}"'
            f' fill="#1a4d8f"><title>{e(m)} : {count}</title></rect>'
            f'<text x="{x + _BAR / 2}" y="{base + 14}" text-anchor="middle"'
            f' font-size="9" fill="#1a1a1a">{e(label)}</text>'
        )
        if count:
            parts.append(
                f'<text x="{x + _BAR / 2}" y="{base - height - 4}" text-anchor="middle"'
                f' font-size="10" fill="#1a1a1a">{count}</text>'
            )
    width = len(months) * (_BAR + _GAP) + _GAP
    axis = f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#555" stroke-width="1"/>'
    total = sum(counts.get(m, 0) for m in months)
    title = OVER_A_YEAR(lang).format(name=name, n=total)
    svg = (
        f'<svg role="img" aria-labelledby="chart-{kind}" viewBox="0 0 {width} {base + 20}"'
        f' width="100%"><title id="chart-{kind}">{e(title)}</title>'
        f"{axis}{''.join(parts)}</svg>"
    )
    rows = "".join(
        f'<tr><th scope="row">{e(m)}</th><td>{counts.get(m, 0)}</td></tr>' for m in months
    )
    table = (
        f"<details><summary>{e(name)} — {e(MONTH(lang))}</summary><table>"
        f'<thead><tr><th scope="col">{e(MONTH(lang))}</th><th scope="col">{e(COUNT(lang))}</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )
    return f'<section aria-label="{e(name)}"><h2>{e(name)}</h2>{svg}{table}</section>'


def _scrubs(root: Path, lang: Lang) -> str:
    jobs = sorted(
        (root / "jobs").glob("*/status.json"), key=lambda p: p.stat().st_mtime, reverse=True
    )[:10]
    items = []
    for path in jobs:
        try:
            status: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        summary = path.parent / "out" / "summary.json"
        counts = ""
        if summary.is_file():
            try:
                data = json.loads(summary.read_text(encoding="utf-8"))
                counts = " — " + ", ".join(
                    f"{k}: {v}" for k, v in data.items() if isinstance(v, int)
                )
            except (OSError, ValueError):
                counts = ""
        items.append(f"<li>{e(path.parent.name)} : {e(status.get('state'))}{e(counts)}</li>")
    listed = f"<ul>{''.join(items)}</ul>" if items else f"<p>{e(NO_SCRUB(lang))}</p>"
    return f"<section><h2>{e(SCRUBS(lang))}</h2>{listed}</section>"


def _chain(ledger: Ledger, lang: Lang) -> str:
    head = ledger.store.read("SELECT event_seq, signed_at_us FROM heads WHERE id = 1")
    point = ledger.store.read("SELECT max(signed_at_us) FROM checkpoints")
    events, signed = (head[0][0], moment_of_micros(head[0][1])) if head else (0, None)
    checkpoint = moment_of_micros(point[0][0]) if point and point[0][0] else None
    text = CHAIN(lang).format(
        events=events,
        head=signed.isoformat(timespec="seconds") if signed else NONE(lang),
        checkpoint=checkpoint.isoformat(timespec="seconds") if checkpoint else NONE(lang),
    )
    return f"<p>{e(text)}</p>"


def _verification(ledger: Ledger, lang: Lang, now: datetime) -> str:
    found = latest_verification(ledger)
    if found is None:
        return notice(NEVER_VERIFIED(lang), refused=True)
    at = moment_of_micros(found.at_us)
    when = at.isoformat(timespec="seconds")
    if not found.intact:
        fault = found.fault(lang) if found.fault is not None else ""
        return notice(TAMPERED(lang).format(at=when, fault=fault), refused=True)
    witness = (WITNESSED if found.witnessed else NO_WITNESS)(lang)
    text = VERIFIED(lang).format(at=when, events=found.events, witness=witness)
    days = (now - at).days
    if days >= VERIFY_EVERY.days:
        return notice(text + " " + STALE(lang).format(days=days), refused=True)
    return f"<p>{e(text)}</p>"


def _gateway(ledger: Ledger, lang: Lang) -> str:
    """What `licite gateway` delivered and refused, a campaign a row (`ledger.deliveries`)."""
    rows = [
        (
            name,
            one["delivered"],
            one["refused"],
            ", ".join(f"{c} {n}" for c, n in sorted(one["refused_by_code"].items())),
        )
        for name, one in report(ledger).items()
    ]
    return _table(GATEWAY, GATEWAY_HEAD, rows, NO_MAIL, lang)


def _table(
    title: Text, head: tuple[Text, ...], rows: Sequence[tuple[object, ...]], empty: Text, lang: Lang
) -> str:
    """A section with a titled table of `rows` (each cell escaped), or `empty` without any."""
    if not rows:
        return f"<section><h2>{e(title(lang))}</h2><p>{e(empty(lang))}</p></section>"
    heads = "".join(f'<th scope="col">{e(t(lang))}</th>' for t in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return (
        f"<section><h2>{e(title(lang))}</h2><table><thead><tr>{heads}</tr></thead>"
        f"<tbody>{body}</tbody></table></section>"
    )


RETENTION = Text("Conservation : derniers passages", "Retention: latest runs")
RETENTION_HEAD = (
    Text("Passage", "Run"),
    Text("Date de référence", "As of"),
    Text("Expéditeur", "Sender"),
    Text("Décidés", "Decided"),
    Text("Effacés", "Erased"),
    Text("Terminé", "Finished"),
)
NO_RUN = Text("Aucun passage de `licite retention run`.", "No `licite retention run` yet.")
UNFINISHED = Text("interrompu — le prochain le termine", "interrupted — the next run finishes it")


def _retention(ledger: Ledger, lang: Lang) -> str:
    """The latest `licite retention run`s (issue 20): what each decided and erased; one
    killed half way shows as interrupted until the next run finishes it."""
    if ledger.journal.schema < RETENTION_RUNS:
        return ""
    runs = ledger.store.read(
        "SELECT id, at_us, sender, decided, erased, finished_at_us FROM retention_runs"
        " ORDER BY id DESC LIMIT 10"
    )
    rows = [
        (
            run,
            iso_day(at_us),
            sender or "*",
            decided,
            erased,
            iso_day(finished) if finished is not None else UNFINISHED(lang),
        )
        for run, at_us, sender, decided, erased, finished in runs
    ]
    return _table(RETENTION, RETENTION_HEAD, rows, NO_RUN, lang)


def iso_day(at_us: int) -> str:
    return moment_of_micros(int(at_us)).astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


def _rules(today: date, lang: Lang) -> str:
    window = (today - timedelta(days=365), today + timedelta(days=365))
    rows = []
    for law in laws():
        for rule in law.rules:
            for version in rule.versions:
                for moment, what in ((version.since, STARTS), (version.until, ENDS)):
                    if moment is not None and window[0] <= moment <= window[1]:
                        rows.append(
                            (
                                moment,
                                what(lang),
                                rule.code,
                                version.citation,
                                fill(rule.text, paris_day(moment.isoformat()))(lang),
                            )
                        )
    rows.sort()
    body = "".join(
        f"<tr><td>{e(m.isoformat())}</td><td>{e(c)} ({e(w)})</td><td>{e(cit)}</td>"
        f"<td>{e(t)}</td></tr>"
        for m, w, c, cit, t in rows
    )
    head = "".join(
        f'<th scope="col">{e(x)}</th>'
        for x in (
            ("Date", "Règle", "Texte", "Ce qu'elle dit")
            if lang == "fr"
            else ("Date", "Rule", "Text", "What it says")
        )
    )
    return (
        f"<section><h2>{e(RULES(lang))}</h2><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></section>"
    )


@router.get("/dpo", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request, ctx: Ctx, key: DpoAccess) -> HTMLResponse:
    lang = lang_of(request)
    if key is None:  # a browser without a session, or whose session ended
        if COOKIE in request.cookies:
            return session_ended(request)
        return sign_in_page(lang)
    by_session = "authorization" not in request.headers
    ledger = ctx.ledger()
    now = datetime.now(PARIS)
    counts = monthly(ledger, now)
    months = _months(now)
    charts = "".join(_chart(kind, counts[kind], months, lang) for kind in KINDS)
    renewals = len(due(ledger, RENEWAL_NOTICE, now))
    body = (
        (signed_in_bar(key, lang) if by_session else "")
        + _verification(ledger, lang, now)
        + _chain(ledger, lang)
        + f"<p>{e(RENEWALS(lang).format(n=renewals, days=RENEWAL_NOTICE.days))}</p>"
        + charts
        + _scrubs(ctx.settings.scrub_dir, lang)
        + _gateway(ledger, lang)
        + _retention(ledger, lang)
        + _rules(now.date(), lang)
    )
    return page(lang, TITLE, body)
