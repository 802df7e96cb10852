"""report.html: what a DPO files after a scrub — counts with a chart, the rules
applied and their dates, provenance problems, exposure, the campaign's own problems."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import duckdb

from licite.catalogue import catalogue, rule
from licite.i18n import Lang, Text
from licite.scrub.plan import Plan

_T = {
    "title": Text("Rapport de nettoyage de campagne", "Campaign scrub report"),
    "allowed": Text("autorisés", "allowed"),
    "blocked": Text("bloqués", "blocked"),
    "rejected": Text("rejetés (illisibles)", "rejected (unreadable)"),
    "reasons": Text("Motifs de blocage", "Blocking reasons"),
    "bases": Text("Fondements des envois autorisés", "Legal bases of allowed contacts"),
    "rules": Text("Règles appliquées", "Rules applied"),
    "since": Text("en vigueur depuis", "in force since"),
    "exposure": Text("Exposition", "Exposure"),
    "provenance": Text("Provenance des données", "Where the data came from"),
    "campaign": Text("Problèmes de la campagne elle-même", "The campaign's own problems"),
    "none": Text("Aucun.", "None."),
    "code": Text("Code", "Code"),
    "count": Text("Nombre", "Count"),
    "citation": Text("Article", "Article"),
    "meaning": Text("Explication", "Explanation"),
    "at": Text("Moment de l'envoi", "Moment of sending"),
    "sender": Text("Émetteur", "Sender"),
    "request": Text("Demande", "Request"),
}

_COLOURS = {"allowed": "#2e7d32", "blocked": "#c62828", "rejected": "#757575"}


def write_report(
    path: Path, plan: Plan, summary: dict[str, Any], con: duckdb.DuckDBPyConnection, lang: Lang
) -> None:
    path.write_text(render(plan, summary, _provenance(con), lang), encoding="utf-8")


def _provenance(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    rows = con.execute("SELECT method, n FROM provenance ORDER BY n DESC, method").fetchall()
    return [(str(m), int(n)) for m, n in rows]


def render(
    plan: Plan, summary: dict[str, Any], provenance: list[tuple[str, int]], lang: Lang
) -> str:
    def t(key: str) -> str:
        return html.escape(_T[key](lang))

    counts = summary["counts"]
    bars = [(t(k), counts[k], _COLOURS[k]) for k in ("allowed", "blocked", "rejected")]
    reasons = summary["by_reason"]
    parts = [
        "<!doctype html><html lang='" + lang + "'><head><meta charset='utf-8'>",
        f"<title>{t('title')}</title>",
        "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;color:#222}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
        "td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        "th{background:#f5f5f5}.num{text-align:right}h2{margin-top:2rem}.warn{color:#c62828}"
        "</style></head><body>",
        f"<h1>{t('title')}</h1>",
        "<p>",
        f"<b>{t('sender')}</b>: {html.escape(plan.sender.id)} · ",
        f"<b>{t('at')}</b>: {html.escape(summary['at'])} · ",
        f"<b>{t('request')}</b>: {html.escape(_describe(summary['request']))}",
        "</p>",
        _bar_chart(bars),
        f"<h2>{t('campaign')}</h2>",
        _campaign(summary, lang),
        f"<h2>{t('reasons')}</h2>",
        _bar_chart([(html.escape(code), v["count"], "#c62828") for code, v in reasons.items()]),
        _reasons_table(reasons, lang, t),
        f"<h2>{t('bases')}</h2>",
        _simple_table([(html.escape(k), v) for k, v in summary["by_basis"].items()], t),
        f"<h2>{t('provenance')}</h2>",
        _simple_table([(html.escape(m), n) for m, n in provenance], t),
        f"<h2>{t('exposure')}</h2>",
        _exposure(reasons, lang),
        f"<h2>{t('rules')}</h2>",
        _rules(plan, lang, t),
        "</body></html>",
    ]
    return "\n".join(parts)


def _describe(request: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in request.items())


def _bar_chart(bars: list[tuple[str, int, str]]) -> str:
    if not bars:
        return ""
    top = max(count for _, count, _ in bars) or 1
    height = 26 * len(bars) + 10
    rows = []
    for index, (label, count, colour) in enumerate(bars):
        y = 5 + index * 26
        width = 460 * count / top
        rows.append(
            f"<text x='0' y='{y + 15}' font-size='13'>{label}</text>"
            f"<rect x='230' y='{y}' width='{width:.1f}' height='20' fill='{colour}'/>"
            f"<text x='{236 + width:.1f}' y='{y + 15}' font-size='13'>{count:,}</text>"
        )
    return (
        f"<svg role='img' width='760' height='{height}' viewBox='0 0 760 {height}'"
        f" xmlns='http://www.w3.org/2000/svg'>{''.join(rows)}</svg>"
    )


def _reasons_table(reasons: dict[str, Any], lang: Lang, t: Any) -> str:
    head = (
        f"<table><tr><th>{t('code')}</th><th class='num'>{t('count')}</th>"
        f"<th>{t('citation')}</th><th>{t('meaning')}</th></tr>"
    )
    rows = [
        f"<tr><td>{html.escape(code)}</td><td class='num'>{v['count']:,}</td>"
        f"<td>{html.escape(v['citation'])}</td><td>{html.escape(v['message'])}</td></tr>"
        for code, v in reasons.items()
    ]
    return head + "".join(rows) + "</table>" if rows else f"<p>{t('none')}</p>"


def _simple_table(rows: list[tuple[str, int]], t: Any) -> str:
    if not rows:
        return f"<p>{t('none')}</p>"
    body = "".join(f"<tr><td>{k}</td><td class='num'>{v:,}</td></tr>" for k, v in rows)
    return f"<table><tr><th>{t('code')}</th><th class='num'>{t('count')}</th></tr>{body}</table>"


def _campaign(summary: dict[str, Any], lang: Lang) -> str:
    checks = summary["campaign_checks"]
    if not checks:
        return f"<p>{html.escape(_T['none'](lang))}</p>"
    items = "".join(
        f"<li class='warn'><b>{html.escape(c['code'])}</b> — {html.escape(c['citation'])}:"
        f" {html.escape(c['message'])}</li>"
        for c in checks
    )
    return f"<ul>{items}</ul>"


def _exposure(reasons: dict[str, Any], lang: Lang) -> str:
    items = []
    for code, value in reasons.items():
        exposure = rule(code).exposure
        if exposure is not None:
            items.append(
                f"<li><b>{html.escape(code)}</b> ({value['count']:,}):"
                f" {html.escape(exposure(lang))}</li>"
            )
    return f"<ul>{''.join(items)}</ul>" if items else f"<p>{html.escape(_T['none'](lang))}</p>"


def _rules(plan: Plan, lang: Lang, t: Any) -> str:
    day = plan.at.date()
    rows = []
    for entry in catalogue().values():
        version = entry.version_on(day)
        if version is None:
            continue
        rows.append(
            f"<tr><td>{html.escape(entry.code)}</td>"
            f"<td>{html.escape(version.citation)}</td>"
            f"<td>{t('since')} {version.since.isoformat()}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"
