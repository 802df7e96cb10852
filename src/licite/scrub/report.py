"""report.html (and report.pdf): what a DPO files after a scrub.

It says, in the reader's language and number formats: the campaign in a
sentence; which file was judged (name, size, SHA-256), when, by which licite
and which version of the specification; the counts; what the allowed sends
must still do (identify the sender, offer a way out, inform people whose data
was not collected from them, show a caller ID); why rows were blocked, with the
article, its date and what is at stake; where the data came from, risky methods
flagged; the first hundred rejected and duplicate rows with a link to the whole
files; and only the rules that decided this campaign, each with its dates.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import duckdb

from licite.catalogue import rule
from licite.decision import cite
from licite.html_page import bars, page, table
from licite.i18n import Lang, Text
from licite.moments import PARIS, parse_moment
from licite.pdf import pdf_bytes
from licite.scrub.plan import Plan
from licite.scrub.run_record import run_record
from licite.vocabulary import L34_5_CHANNELS, Action, Channel
from licite.wording import citation, local_day, local_moment, number, percent, word

SHOWN_ROWS = 100
RISKY_METHODS = frozenset({"scraping", "list_purchase", "list_rental", "enrichment"})

_T = {
    "title": Text("Rapport de nettoyage de campagne", "Campaign scrub report"),
    "summary": Text("Synthèse", "Summary"),
    "identity": Text("Identification", "Identification"),
    "item": Text("Élément", "Item"),
    "value": Text("Valeur", "Value"),
    "campaign_id": Text("Campagne", "Campaign"),
    "sender": Text("Émetteur", "Sender"),
    "input": Text("Fichier analysé", "File judged"),
    "size": Text("Taille", "Size"),
    "bytes": Text("octets", "bytes"),
    "sha": Text("SHA-256 du fichier", "File SHA-256"),
    "ran": Text("Analyse faite le", "Scrub run on"),
    "send": Text("Moment de l'envoi", "Moment of sending"),
    "version": Text("Version de licite", "licite version"),
    "spec": Text("Version de la spécification", "Specification version"),
    "counts": Text("Résultat", "Result"),
    "counts_chart": Text("Lignes par résultat", "Rows by result"),
    "allowed": Text("autorisés", "allowed"),
    "blocked": Text("bloqués", "blocked"),
    "duplicates": Text("doublons", "duplicates"),
    "rejected": Text("rejetés (illisibles)", "rejected (unreadable)"),
    "campaign": Text("Problèmes de la campagne elle-même", "The campaign's own problems"),
    "obligations": Text(
        "Obligations pour les envois autorisés", "Obligations for the allowed sends"
    ),
    "reasons": Text("Motifs de blocage", "Blocking reasons"),
    "reasons_chart": Text("Lignes bloquées par motif", "Blocked rows by reason"),
    "bases": Text("Fondements des envois autorisés", "Legal bases of the allowed sends"),
    "exposure": Text("Exposition par motif", "Exposure by reason"),
    "provenance": Text("Provenance des données", "Where the data came from"),
    "risky": Text("méthode à risque (sanctions CNIL)", "risky method (CNIL sanctions)"),
    "rejected_rows": Text("Lignes rejetées", "Rejected rows"),
    "duplicate_rows": Text("Doublons", "Duplicates"),
    "first": Text(
        "Les {n} premières ; toutes dans {file}.", "The first {n}; all of them in {file}."
    ),
    "all": Text("Toutes, aussi dans {file}.", "All of them, also in {file}."),
    "rules": Text("Règles appliquées à cette campagne", "Rules applied to this campaign"),
    "rules_note": Text(
        "Seules les règles qui ont décidé d'au moins une ligne ou de la campagne.",
        "Only the rules that decided at least one row or the campaign itself.",
    ),
    "none": Text("Aucun.", "None."),
    "code": Text("Code", "Code"),
    "count": Text("Lignes", "Rows"),
    "share": Text("Part", "Share"),
    "citation": Text("Article", "Article"),
    "meaning": Text("Explication", "Explanation"),
    "since": Text("En vigueur depuis", "In force since"),
    "until": Text("jusqu'au", "until"),
    "penalty": Text("Sanction encourue", "Penalty"),
    "line": Text("Ligne", "Line"),
    "repeats": Text("Répète la ligne", "Repeats line"),
    "reason": Text("Raison", "Reason"),
    "raw": Text("Ligne telle qu'écrite", "Line as written"),
    "method": Text("Méthode", "Method"),
    "unknown": Text("inconnue", "unknown"),
}
_SENTENCE = Text(
    "Campagne « {id} » de {sender} : {purpose} par {channel}, envoi au {at}.",
    "Campaign “{id}” by {sender}: {purpose} by {channel}, sent on {at}.",
)
_SENTENCE_OTHER = Text(
    "Campagne « {id} » de {sender} : {action}, au {at}.",
    "Campaign “{id}” by {sender}: {action}, on {at}.",
)
_ACTIONS = {
    "analyze": Text("analyse des correspondances", "analysis of correspondence"),
    "retain": Text("conservation des données", "keeping the data"),
}

# What every allowed send must still do, by channel: the codes the engine attaches,
# and the two duties of a phone call it does not (identity, number shown).
_ELECTRONIC = ("OBL-IDENTIFY-SENDER", "OBL-OPT-OUT-MEANS")
_CALLER_ID = Text(
    "Appels : s'identifier dès le début de l'appel et en dire la nature commerciale"
    " (C. consom. art. L221-16) ; présenter un numéro joignable, jamais masqué.",
    "Calls: say who is calling and that the call is commercial at its start"
    " (Consumer Code art. L221-16); show a number that can be called back, never a hidden one.",
)


def write_report(
    path: Path,
    plan: Plan,
    summary: dict[str, Any],
    con: duckdb.DuckDBPyConnection,
    lang: Lang,
    *,
    pdf: bool = False,
) -> None:
    """report.html beside the results, and report.pdf when asked (`scrub --pdf`).

    The PDF is asked for, not made by default: WeasyPrint takes about six seconds to
    load and lay out a report, a tenth of a ten-million-row scrub (docs/benchmarks.md);
    the page prints as it is from a browser too."""
    suffix = ".parquet" if (path.parent / "rejected.parquet").exists() else ".csv"
    document = render(plan, summary, _provenance(con), _listed(con), lang, suffix)
    path.write_text(document, encoding="utf-8")
    if pdf:
        path.with_suffix(".pdf").write_bytes(pdf_bytes(document))


def _provenance(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    rows = con.execute("SELECT method, n FROM provenance ORDER BY n DESC, method").fetchall()
    return [(str(m), int(n)) for m, n in rows]


def _listed(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """The first rows of the rejected and duplicate tables, as their CSV files have them."""
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    listed: dict[str, list[tuple[Any, ...]]] = {}
    if "rejected" in names:
        listed["rejected"] = con.execute(
            f"SELECT line, reason_fr, reason_en, raw FROM rejected ORDER BY line LIMIT {SHOWN_ROWS}"
        ).fetchall()
    if "duplicates" in names:
        listed["duplicates"] = con.execute(
            f"SELECT line, first_line, raw FROM duplicates ORDER BY line LIMIT {SHOWN_ROWS}"
        ).fetchall()
    return listed


def render(
    plan: Plan,
    summary: dict[str, Any],
    provenance: list[tuple[str, int]],
    listed: dict[str, list[tuple[Any, ...]]],
    lang: Lang,
    suffix: str = ".csv",
) -> str:
    """The report's page; `suffix` is the result files' (.csv or .parquet), for the links."""
    t = {k: v(lang) for k, v in _T.items()}
    run = summary if "input" in summary else run_record(Path(summary["contacts_file"]))
    counts = summary["counts"]
    total = counts["rows"] or 0
    reasons: dict[str, Any] = summary["by_reason"]
    parts = [
        f"<h1>{escape(t['title'])}</h1>",
        f"<p>{escape(_sentence(plan, lang))}</p>",
        f"<h2>{escape(t['identity'])}</h2>",
        _identity(plan, run, t, lang),
        f"<h2>{escape(t['counts'])}</h2>",
        bars(
            t["counts_chart"],
            [
                (
                    t[k],
                    counts.get(k, 0),
                    f"{number(counts.get(k, 0), lang)} ({percent(counts.get(k, 0), total, lang)})",
                )
                for k in ("allowed", "blocked", "duplicates", "rejected")
                if k in counts
            ],
        ),
        f"<h2>{escape(t['campaign'])}</h2>",
        _campaign(summary, t, lang),
        f"<h2>{escape(t['obligations'])}</h2>",
        _obligations(plan, summary, lang),
        f"<h2>{escape(t['reasons'])}</h2>",
        _reasons(reasons, total, plan, t, lang),
        f"<h2>{escape(t['exposure'])}</h2>",
        _exposure(reasons, t, lang),
        f"<h2>{escape(t['bases'])}</h2>",
        _bases(summary["by_basis"], plan, total, t, lang),
        f"<h2>{escape(t['provenance'])}</h2>",
        _provenance_table(provenance, t, lang),
        f"<h2>{escape(t['rejected_rows'])}</h2>",
        _rejected(listed.get("rejected", []), counts.get("rejected", 0), t, lang, suffix),
    ]
    if "duplicates" in listed or "duplicates" in counts:
        parts += [
            f"<h2>{escape(t['duplicate_rows'])}</h2>",
            _duplicates(listed.get("duplicates", []), counts.get("duplicates", 0), t, lang, suffix),
        ]
    parts += [f"<h2>{escape(t['rules'])}</h2>", _rules(plan, summary, t, lang)]
    return page(f"{t['title']} — {plan.campaign.id or ''}", "\n".join(parts), lang)


def _sentence(plan: Plan, lang: Lang) -> str:
    request = plan.request
    at = local_moment(plan.at, lang)
    name = plan.campaign.id or plan.campaign.title or "—"
    if request.action is Action.CONTACT:
        return _SENTENCE(lang).format(
            id=name,
            sender=plan.sender.id,
            purpose=word(request.purpose or "commercial", lang),
            channel=word(request.channel or "email", lang),
            at=at,
        )
    return _SENTENCE_OTHER(lang).format(
        id=name, sender=plan.sender.id, action=_ACTIONS[request.action.value](lang), at=at
    )


def _identity(plan: Plan, run: dict[str, Any], t: dict[str, str], lang: Lang) -> str:
    source = run["input"]
    rows = [
        [escape(t["campaign_id"]), escape(plan.campaign.id or "—")],
        [escape(t["sender"]), escape(plan.sender.id)],
        [escape(t["input"]), f"<code>{escape(source['name'])}</code>"],
        [escape(t["size"]), f"{number(source['bytes'], lang)} {escape(t['bytes'])}"],
        [escape(t["sha"]), f'<span class="hash">{escape(source["sha256"])}</span>'],
        [escape(t["send"]), escape(local_moment(plan.at, lang))],
        [escape(t["ran"]), escape(local_moment(parse_moment(run["ran_at"]), lang))],
        [escape(t["version"]), escape(run["licite_version"])],
        [escape(t["spec"]), escape(run["spec_version"])],
    ]
    return table([t["item"], t["value"]], rows)


def _campaign(summary: dict[str, Any], t: dict[str, str], lang: Lang) -> str:
    checks = summary["campaign_checks"]
    if not checks:
        return f"<p>{escape(t['none'])}</p>"
    items = "".join(
        f"<li class='warn'><b>{escape(c['code'])}</b> — {escape(citation(c['citation'], lang))} :"
        f" {escape(c['messages'][lang] if 'messages' in c else c['message'])}</li>"
        for c in checks
    )
    return f"<ul>{items}</ul>"


def _obligations(plan: Plan, summary: dict[str, Any], lang: Lang) -> str:
    request = plan.request
    counted: dict[str, int] = summary.get("by_obligation") or {}
    codes = list(counted)
    channel = request.channel
    if request.action is Action.CONTACT and not codes and channel in L34_5_CHANNELS:
        codes = list(_ELECTRONIC)  # what the engine attaches to every allowed send there
    items = []
    for code in codes:
        cited = cite(code, plan.at)
        many = f" — {number(counted[code], lang)}" if code in counted else ""
        items.append(
            f"<li><b>{escape(code)}</b>{escape(many)} — {escape(cited.text(lang))}"
            f" <small>({escape(citation(cited.citation, lang))})</small></li>"
        )
    if channel in (Channel.PHONE_CALL, Channel.AUTOMATED_CALL):
        items.append(f"<li>{escape(_CALLER_ID(lang))}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else f"<p>{escape(_T['none'](lang))}</p>"


def _reasons(reasons: dict[str, Any], total: int, plan: Plan, t: dict[str, str], lang: Lang) -> str:
    if not reasons:
        return f"<p>{escape(t['none'])}</p>"
    chart = bars(
        t["reasons_chart"],
        [(code, v["count"], number(v["count"], lang)) for code, v in reasons.items()],
    )
    rows = []
    for code, v in reasons.items():
        cited = cite(code, plan.at)
        rows.append(
            [
                f"<b>{escape(code)}</b>",
                escape(number(v["count"], lang)),
                escape(percent(v["count"], total, lang)),
                escape(citation(cited.citation, lang)),
                escape(cited.text(lang)),
            ]
        )
    return chart + table(
        [t["code"], t["count"], t["share"], t["citation"], t["meaning"]], rows, frozenset({1, 2})
    )


def _exposure(reasons: dict[str, Any], t: dict[str, str], lang: Lang) -> str:
    rows = []
    for code, v in reasons.items():
        exposure = rule(code).exposure
        if exposure is not None:
            rows.append(
                [
                    f"<b>{escape(code)}</b>",
                    escape(number(v["count"], lang)),
                    escape(citation(exposure(lang), lang)),
                ]
            )
    if not rows:
        return f"<p>{escape(t['none'])}</p>"
    return table([t["code"], t["count"], t["penalty"]], rows, frozenset({1}))


def _bases(by_basis: dict[str, int], plan: Plan, total: int, t: dict[str, str], lang: Lang) -> str:
    if not by_basis:
        return f"<p>{escape(t['none'])}</p>"
    rows = [
        [
            f"<b>{escape(code)}</b>",
            escape(number(n, lang)),
            escape(percent(n, total, lang)),
            escape(citation(cite(code, plan.at).citation, lang)),
        ]
        for code, n in by_basis.items()
    ]
    return table([t["code"], t["count"], t["share"], t["citation"]], rows, frozenset({1, 2}))


def _provenance_table(provenance: list[tuple[str, int]], t: dict[str, str], lang: Lang) -> str:
    if not provenance:
        return f"<p>{escape(t['none'])}</p>"
    rows = [
        [
            escape(word(m, lang)) if m not in ("None", "") else f"<i>{escape(t['unknown'])}</i>",
            escape(number(n, lang)),
            f'<span class="warn">⚠ {escape(t["risky"])}</span>' if m in RISKY_METHODS else "",
        ]
        for m, n in provenance
    ]
    return table([t["method"], t["count"], ""], rows, frozenset({1}))


def _first(n: int, shown: int, file: str, t: dict[str, str]) -> str:
    link = f'<a href="{file}">{file}</a>'
    said = t["first"] if n > shown else t["all"]
    return f"<p>{escape(said).format(n=shown, file=link)}</p>"


def _rejected(
    rows: list[tuple[Any, ...]], n: int, t: dict[str, str], lang: Lang, suffix: str
) -> str:
    if not rows:
        return f"<p>{escape(t['none'])}</p>"
    shown = [
        [
            escape(str(line)),
            escape(fr if lang == "fr" else en),
            f"<code>{escape(str(raw))}</code>",
        ]
        for line, fr, en, raw in rows
    ]
    return _first(n, len(rows), f"rejected{suffix}", t) + table(
        [t["line"], t["reason"], t["raw"]], shown, frozenset({0})
    )


def _duplicates(
    rows: list[tuple[Any, ...]], n: int, t: dict[str, str], lang: Lang, suffix: str
) -> str:
    if not rows:
        return f"<p>{escape(t['none'])}</p>"
    shown = [
        [escape(str(line)), escape(str(first)), f"<code>{escape(str(raw))}</code>"]
        for line, first, raw in rows
    ]
    del lang
    return _first(n, len(rows), f"duplicates{suffix}", t) + table(
        [t["line"], t["repeats"], t["raw"]], shown, frozenset({0, 1})
    )


def _rules(plan: Plan, summary: dict[str, Any], t: dict[str, str], lang: Lang) -> str:
    codes: list[str] = []
    for group in (
        summary["by_basis"],
        summary["by_reason"],
        summary.get("by_obligation") or {},
        summary.get("by_warning") or {},
    ):
        codes.extend(c for c in group if c not in codes)
    codes.extend(c["code"] for c in summary["campaign_checks"] if c["code"] not in codes)
    rows = []
    day = plan.at.astimezone(PARIS).date()
    for code in codes:
        entry = rule(code)
        version = entry.version_on(day)
        if version is None:
            continue
        until = f" {t['until']} {local_day(version.until, lang)}" if version.until else ""
        rows.append(
            [
                f"<b>{escape(code)}</b>",
                escape(citation(version.citation, lang)),
                escape(local_day(version.since, lang) + until),
            ]
        )
    if not rows:
        return f"<p>{escape(t['none'])}</p>"
    return f"<p>{escape(t['rules_note'])}</p>" + table([t["code"], t["citation"], t["since"]], rows)
