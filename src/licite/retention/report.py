"""The report of a retention run: report.csv, report.html and (asked for) report.pdf.

What a DPO shows an inspector (GDPR art. 5(2), accountability): who was erased and why
(code, article, the dates the clock started and ended), who is kept only as a
suppression record, what expires in the next 90 days, and the count of every answer per
sender and code with a chart. Ids, codes and dates only: no address, no name.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime
from html import escape
from pathlib import Path

from licite.decision import cite
from licite.errors import InvalidInput
from licite.html_page import bars, page, table
from licite.i18n import Lang, Text
from licite.moments import PARIS
from licite.pdf import pdf_bytes
from licite.retention.runs import Erased, RunResult
from licite.scrub.outputs import safe_cell
from licite.wording import local_day, local_moment, number

SHOWN = 500
"""Rows of each list in the HTML (the CSV has them all)."""

_T = {
    "title": Text("Durées de conservation : passage", "Retention run"),
    "dry": Text("simulation (--dry-run) : rien n'a été effacé", "dry run: nothing was erased"),
    "run": Text("passage n° {n}", "run no. {n}"),
    "at": Text("décisions au {at}", "decisions as of {at}"),
    "sender": Text("expéditeur : {s}", "sender: {s}"),
    "summary": Text(
        "{decided} personne(s) examinée(s) ; {erased} effacée(s) ; {kept} conservée(s)"
        " seulement comme liste d'opposition ; {due} délai(s) échéant dans les 90 jours",
        "{decided} person(s) examined; {erased} erased; {kept} kept only as a suppression"
        " record; {due} clock(s) ending within 90 days",
    ),
    "resumed": Text(
        "dont {n} effacement(s) d'un passage interrompu que celui-ci achève",
        "including {n} erasure(s) by an interrupted run this one completes",
    ),
    "chart": Text("Réponses « conserver » par code", "'Retain' answers by code"),
    "counts": Text("Réponses par expéditeur et par code", "Answers by sender and code"),
    "erased": Text("Personnes effacées", "People erased"),
    "suppression": Text(
        "Conservées seulement comme liste d'opposition", "Kept only as a suppression record"
    ),
    "due": Text("Délais échéant dans les 90 jours", "Clocks ending within 90 days"),
    "undecided": Text(
        "Sans décision (jamais effacées) : {n}", "Without a decision (never erased): {n}"
    ),
    "first": Text(
        "les {n} premières lignes ; toutes dans report.csv", "first {n}; all in report.csv"
    ),
    "person": Text("personne", "person"),
    "senders": Text("expéditeur(s)", "sender(s)"),
    "code": Text("code", "code"),
    "citation": Text("texte", "citation"),
    "start": Text("début du délai", "clock started"),
    "end": Text("fin du délai", "clock ended"),
    "when": Text("effacée le", "erased at"),
    "ends": Text("fin", "ends"),
    "people": Text("personnes", "people"),
}

CSV_COLUMNS = ("section", "person", "senders", "code", "clock_start", "clock_end", "moment", "run")
"""`moment`: when erased (or, for a count row, the count); `run`: the run that erased."""


def write_report(
    directory: Path, result: RunResult, lang: Lang, *, pdf: bool = False
) -> list[Path]:
    """The run's files in `directory`, or in `directory-2`, `-3`… when it exists (a
    ledger restored from a backup numbers its runs again): nothing is overwritten."""
    directory = _new_folder(directory)
    written = [directory / "report.csv", directory / "report.html"]
    written[0].write_text(render_csv(result), encoding="utf-8", newline="")
    document = render_html(result, lang)
    written[1].write_text(document, encoding="utf-8")
    if pdf:
        written.append(directory / "report.pdf")
        written[2].write_bytes(pdf_bytes(document))
    return written


def _new_folder(wanted: Path) -> Path:
    candidate, number = wanted, 1
    while True:
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            number += 1
            candidate = wanted.with_name(f"{wanted.name}-{number}")
        except OSError as error:
            raise InvalidInput(
                Text(
                    f"--report : {candidate} ne peut être créé ({error.strerror})",
                    f"--report: cannot create {candidate} ({error.strerror})",
                )
            ) from None


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(PARIS).isoformat()


def csv_rows(result: RunResult) -> list[tuple[str, ...]]:
    """Every line of report.csv (after its header), in a stable order."""
    rows: list[tuple[str, ...]] = []
    for e in [*result.resumed, *result.erased]:
        section = "would_erase" if result.dry_run else "erased"
        rows.append(
            (section, e.person, " ".join(e.senders), e.code, _iso(e.clock_start),
             _iso(e.clock_end), _iso(e.erased_at), "" if e.run_id is None else str(e.run_id))
        )  # fmt: skip
    for v in result.suppression_only:
        for a in v.answers:
            rows.append(
                ("suppression_record", v.person, a.sender, a.code, "", _iso(a.expires_at), "")
            )
    for person, sender, ends in result.due:
        rows.append(("due", person, sender, "WITHIN-RETENTION", "", _iso(ends), ""))
    for v in result.undecided:
        rows.append(("undecided", v.person, " ".join(a.sender for a in v.answers), "", "", "", ""))
    for (sender, code), n in sorted(result.counts.items()):
        rows.append(("count", "", sender, code, "", "", str(n)))
    return rows


def render_csv(result: RunResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(result):
        padded = (*row, *("",) * (len(CSV_COLUMNS) - len(row)))
        writer.writerow([safe_cell(cell) for cell in padded])
    return out.getvalue()


def render_html(result: RunResult, lang: Lang) -> str:
    t = {k: v(lang) for k, v in _T.items()}
    erased = [*result.resumed, *result.erased]
    head = [f"<h1>{escape(t['title'])}</h1>", "<p>"]
    if result.run_id is not None:
        head.append(escape(t["run"].format(n=result.run_id)) + " — ")
    head.append(escape(t["at"].format(at=local_moment(result.at, lang))))
    if result.sender:
        head.append(" — " + escape(t["sender"].format(s=result.sender)))
    head.append("</p>")
    if result.dry_run:
        head.append(f"<p><strong>{escape(t['dry'])}</strong></p>")
    head.append(
        "<p>"
        + escape(
            t["summary"].format(
                decided=number(result.decided, lang),
                erased=number(len(erased), lang),
                kept=number(len(result.suppression_only), lang),
                due=number(len(result.due), lang),
            )
        )
        + "</p>"
    )
    if result.resumed:
        head.append(f"<p>{escape(t['resumed'].format(n=len(result.resumed)))}</p>")
    if result.undecided:
        head.append(f"<p>{escape(t['undecided'].format(n=len(result.undecided)))}</p>")
    by_code: Counter[str] = Counter()
    for (_, code), n in result.counts.items():
        by_code[code] += n
    chart = bars(t["chart"], [(c, n, number(n, lang)) for c, n in by_code.most_common()])
    counts = table(
        [escape(t["senders"]), escape(t["code"]), escape(t["people"])],
        [[escape(s), escape(c), number(n, lang)] for (s, c), n in sorted(result.counts.items())],
        numeric=frozenset({2}),
    )
    body = [
        *head,
        chart,
        f"<h2>{escape(t['counts'])}</h2>",
        counts,
        f"<h2>{escape(t['erased'])} ({number(len(erased), lang)})</h2>",
        _first(len(erased), t),
        table(
            [
                escape(t[k])
                for k in ("person", "senders", "code", "citation", "start", "end", "when")
            ],
            [_erased_row(e, result.at, lang) for e in erased[:SHOWN]],
        ),
        f"<h2>{escape(t['suppression'])} ({number(len(result.suppression_only), lang)})</h2>",
        _first(len(result.suppression_only), t),
        table(
            [escape(t["person"]), escape(t["senders"]), escape(t["ends"])],
            [
                [
                    escape(v.person),
                    escape(" ".join(a.sender for a in v.answers)),
                    escape(
                        " ".join(local_day(a.expires_at, lang) for a in v.answers if a.expires_at)
                    ),
                ]
                for v in result.suppression_only[:SHOWN]
            ],
        ),
        f"<h2>{escape(t['due'])} ({number(len(result.due), lang)})</h2>",
        _first(len(result.due), t),
        table(
            [escape(t["person"]), escape(t["senders"]), escape(t["ends"])],
            [
                [escape(p), escape(s), escape(local_day(ends, lang))]
                for p, s, ends in result.due[:SHOWN]
            ],
        ),
    ]
    return page(t["title"], "\n".join(body), lang)


def _first(count: int, t: dict[str, str]) -> str:
    return f"<p>{escape(t['first'].format(n=SHOWN))}</p>" if count > SHOWN else ""


def _erased_row(e: Erased, at: datetime, lang: Lang) -> list[str]:
    cited = cite(e.code, at)
    return [
        escape(e.person),
        escape(" ".join(e.senders)),
        escape(e.code),
        escape(cited.citation),
        escape(local_day(e.clock_start, lang)) if e.clock_start else "",
        escape(local_day(e.clock_end, lang)) if e.clock_end else "",
        escape(local_moment(e.erased_at, lang)) if e.erased_at else "",
    ]
