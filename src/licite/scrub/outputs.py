"""Writing a scrub's results: allowed, blocked, rejected and duplicates (CSV, CSV for
French Excel or Parquet, see `exports`), and summary.json.

Everything is written into a fresh directory beside the target and moved
into place at the end, with the manifest that says licite wrote it
(`licite.target`), so an interrupted run never leaves outputs that look
complete and a later run never replaces what licite did not write.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from licite.decision import cite
from licite.errors import OutputRefused
from licite.i18n import Lang, Text
from licite.scrub.decisions import Situation
from licite.scrub.duck import insert_rows, paris_text
from licite.scrub.exports import Style, export
from licite.scrub.plan import Plan
from licite.target import (
    MANIFEST,
    MARKER,
    remove_listed,
    work_folder,
    write_manifest,
)


@contextmanager
def staged(target: Path, previous: list[str]) -> Iterator[Path]:
    """A staging folder beside `target`, moved into place only when the block completes.

    A fresh target receives the whole folder by one rename. A previous scrub's output
    (`previous`: the files its manifest lists, replaced under --overwrite) loses its
    manifest first, then the listed files are replaced one by one and the new manifest
    is written last: nothing else in the folder is touched, and a folder without its
    manifest never passes for a complete output."""
    work = work_folder(target, "partial")
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    (work / MARKER).unlink()
    written = sorted(entry.name for entry in work.iterdir())
    write_manifest(work, "scrub", written, complete=True)
    target = target.resolve()
    if not target.exists() or (target.is_dir() and not any(target.iterdir())):
        if target.exists():
            target.rmdir()
        work.rename(target)
        return
    foreign = [
        name
        for name in written
        if name not in previous and ((target / name).exists() or (target / name).is_symlink())
    ]
    if foreign:
        shutil.rmtree(work, ignore_errors=True)
        raise OutputRefused(
            Text(
                f"{target} : {', '.join(foreign)} n'a pas été écrit par licite ; rien n'est"
                " remplacé",
                f"{target}: {', '.join(foreign)} was not written by licite; nothing is replaced",
            )
        )
    (target / MANIFEST).unlink(missing_ok=True)
    remove_listed(target, [name for name in previous if name not in written])
    for name in written:
        if name != MANIFEST:
            os.replace(work / name, target / name)
    os.replace(work / MANIFEST, target / MANIFEST)
    work.rmdir()


_TEXT_COLUMNS = (
    ("skey", "BIGINT"),
    ("codes", "VARCHAR"),
    ("citations", "VARCHAR"),
    ("obligations_text", "VARCHAR"),
)


def store_texts(
    con: duckdb.DuckDBPyConnection, plan: Plan, situations: list[Situation], lang: Lang
) -> None:
    """Per situation: its codes and citations as text, for the CSV files."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE verdict_texts (skey BIGINT, codes VARCHAR,"
        " citations VARCHAR, obligations_text VARCHAR)"
    )
    rows = []
    for situation in situations:
        verdict = situation.verdict
        cited = [cite(code, plan.at) for code in verdict.reasons]
        rows.append(
            (
                situation.key,
                ";".join(verdict.reasons),
                " | ".join(f"{c.code}: {c.citation}" for c in cited),
                ";".join(verdict.obligations),
            )
        )
    insert_rows(con, "verdict_texts", _TEXT_COLUMNS, rows)
    if rows:
        # Each text becomes a value of its own enumeration: the rows sorted for the files
        # then carry a small number to the writer, not the text.
        for name, _ in _TEXT_COLUMNS[1:]:
            con.execute(f"DROP TYPE IF EXISTS verdict_{name}")
            con.execute(
                f"CREATE TYPE verdict_{name} AS ENUM"
                f" (SELECT DISTINCT {name} FROM verdict_texts WHERE {name} IS NOT NULL)"
            )
        typed = ", ".join(f"{name}::verdict_{name} AS {name}" for name, _ in _TEXT_COLUMNS[1:])
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE verdict_texts AS SELECT skey, {typed} FROM verdict_texts"
        )
    del lang


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection):
`=HYPERLINK(…)`, `+cmd|' /C calc'!A0`, `@SUM(1)`."""
_FORMULA_CODES = ", ".join(str(ord(c)) for c in FORMULA_STARTS)
_NEUTRALIZE = (
    # Every cell the list brought: a leading quote makes it text in any spreadsheet.
    f"CREATE OR REPLACE MACRO csv_cell(v) AS CASE WHEN ascii(v) IN ({_FORMULA_CODES})"
    " THEN chr(39) || v ELSE v END",
    # The phone column of a decided row holds a phone number (the row is set aside
    # otherwise): +33 6 12 34 56 78 is left as written, for the dialer that reads the
    # file; only a cell with anything but a number's characters is quoted.
    f"CREATE OR REPLACE MACRO csv_phone(v) AS CASE WHEN ascii(v) IN ({_FORMULA_CODES})"
    " AND NOT regexp_full_match(v, '[-+0-9 .()/]+') THEN chr(39) || v ELSE v END",
)


def safe_cell(text: str) -> str:
    """What csv_cell makes of a text (for the headers, written from Python)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_csvs(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    extras: list[str],
    lang: Lang,
    style: Style | None = None,
) -> None:
    """The result files (CSV, CSV for French Excel or Parquet: `style`), every cell from the
    list neutralized against formula injection in SQL, as the rows are written (no pass in
    Python)."""
    form = style or Style()
    for statement in _NEUTRALIZE:
        con.execute(statement)
    names = ("id", "kind", "email", "phone", "postal_code", *extras)
    cells = [
        f"{'csv_phone' if name == 'phone' else 'csv_cell'}(c.{_ident(name)}) AS {_ident(name)}"
        for name in names
    ]
    listed = ", ".join(cells)
    shown = ", ".join(f"{_ident(name)} AS {_ident(safe_cell(name))}" for name in names)
    # Every decided row is a good one: the list's lines, without setting the bad ones aside.
    base = (
        "FROM scrub_results r JOIN contacts_lined c USING (row_id)"
        " JOIN verdict_texts t USING (skey)"
    )
    allowed = paris_text(
        f"SELECT {listed}, r.basis, r.expires_at_us, t.obligations_text AS obligations, c.line"
        f" {base} WHERE r.allowed",
        "expires_at_us",
        out="expires_at",
    )
    export(
        con,
        f"SELECT {shown}, basis, expires_at, obligations FROM ({allowed}) ORDER BY line",
        directory / form.name("allowed"),
        form,
    )
    export(
        con,
        f"SELECT {shown}, reasons, citations FROM (SELECT {listed}, t.codes AS reasons,"
        f" t.citations, c.line {base} WHERE NOT r.allowed) ORDER BY line",
        directory / form.name("blocked"),
        form,
    )
    reason = "reason_fr" if lang == "fr" else "reason_en"
    export(
        con,
        f"SELECT line, problem, csv_cell({reason}) AS reason, csv_cell(raw) AS raw"
        " FROM rejected ORDER BY line",
        directory / form.name("rejected"),
        form,
    )
    export(
        con,
        "SELECT line, first_line AS repeats_line, csv_cell(raw) AS raw FROM duplicates"
        " ORDER BY line",
        directory / form.name("duplicates"),
        form,
    )


def summarize(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    situations: list[Situation],
    problems: list[Any],
    lang: Lang,
    extra: dict[str, Any],
) -> dict[str, Any]:
    rows = sum(s.count for s in situations)
    allowed = sum(s.count for s in situations if s.verdict.allowed)
    by_basis: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    by_obligation: dict[str, int] = {}
    by_warning: dict[str, int] = {}
    for situation in situations:
        verdict = situation.verdict
        if verdict.basis:
            by_basis[verdict.basis] = by_basis.get(verdict.basis, 0) + situation.count
        for code in verdict.reasons:
            by_reason[code] = by_reason.get(code, 0) + situation.count
        for code in verdict.obligations:
            by_obligation[code] = by_obligation.get(code, 0) + situation.count
        for code in verdict.warnings:
            by_warning[code] = by_warning.get(code, 0) + situation.count
    rejected = con.execute("SELECT count(*) FROM rejected").fetchone()
    repeated = con.execute("SELECT count(*) FROM duplicates").fetchone()
    duplicates = repeated[0] if repeated else 0
    campaign = plan.campaign
    return {
        "campaign": campaign.id,
        "at": plan.at.isoformat(),
        "sender": plan.sender.id,
        "request": campaign.request.model_dump(mode="json", exclude_none=True),
        "counts": {
            "rows": rows + (rejected[0] if rejected else 0) + duplicates,
            "scrubbed": rows,
            "allowed": allowed,
            "blocked": rows - allowed,
            "rejected": rejected[0] if rejected else 0,
            "duplicates": duplicates,
        },
        "by_basis": dict(sorted(by_basis.items(), key=lambda kv: -kv[1])),
        "by_reason": {
            code: {
                "count": count,
                "citation": cite(code, plan.at).citation,
                "message": cite(code, plan.at).text(lang),
            }
            for code, count in sorted(by_reason.items(), key=lambda kv: -kv[1])
        },
        "by_obligation": dict(sorted(by_obligation.items(), key=lambda kv: -kv[1])),
        "by_warning": dict(sorted(by_warning.items(), key=lambda kv: -kv[1])),
        "campaign_checks": [p.to_dict(lang) for p in problems],
        "situations": len(situations),
        **extra,
    }


def write_summary(directory: Path, summary: dict[str, Any]) -> None:
    (directory / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
