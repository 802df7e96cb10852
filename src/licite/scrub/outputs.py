"""Writing a scrub's results: allowed, blocked, rejected and duplicates (CSV, CSV for
French Excel or Parquet, see `exports`), and summary.json.

Everything is written into a fresh directory beside the target and renamed
into place at the end, so an interrupted run never leaves outputs that look
complete.
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

from licite.catalogue import rule
from licite.decision import cite
from licite.i18n import Lang
from licite.scrub.decisions import Situation
from licite.scrub.duck import insert_rows, paris_text
from licite.scrub.exports import Style, export
from licite.scrub.plan import Plan


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A temporary directory renamed to `target` only when the block completes."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{target.name}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        target.rename(old)
    work.rename(target)
    shutil.rmtree(old, ignore_errors=True)


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


def write_csvs(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    extras: list[str],
    lang: Lang,
    style: Style | None = None,
) -> None:
    form = style or Style()
    listed = ", ".join(
        f'c."{name}"' for name in ("id", "kind", "email", "phone", "postal_code", *extras)
    )
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
        f"SELECT {listed.replace('c.', '')}, basis, expires_at, obligations FROM ({allowed})"
        " ORDER BY line",
        directory / form.name("allowed"),
        form,
    )
    export(
        con,
        f"SELECT {listed}, t.codes AS reasons, t.citations {base}"
        " WHERE NOT r.allowed ORDER BY c.line",
        directory / form.name("blocked"),
        form,
    )
    reason = "reason_fr" if lang == "fr" else "reason_en"
    export(
        con,
        f"SELECT line, problem, {reason} AS reason, raw FROM rejected ORDER BY line",
        directory / form.name("rejected"),
        form,
    )
    export(
        con,
        "SELECT line, first_line AS repeats_line, raw FROM duplicates ORDER BY line",
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
                "message": rule(code).text(lang),
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
