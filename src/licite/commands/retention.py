"""The `licite retention …` commands: `run` (erase what may no longer be kept) and `due`."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from licite.commands.support import lang as _lang
from licite.commands.support import parse_at, reports_errors
from licite.i18n import Text
from licite.ledger.ledger import Ledger
from licite.moments import PARIS
from licite.retention.runs import ERASE_BATCH


@click.group("retention")
def retention_group() -> None:
    """Retention periods (GDPR art. 5(1)(e), CNIL délib. 2021-131): erase on time, ask before."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Change nothing; report what a run would do.")
@click.option("--at", "at_text", default=None, help="Decide as of this moment (default: now).")
@click.option("--sender", default=None, help="Only the people this sender holds.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("retention-reports"),
    show_default=True,
    help="Folder of the runs' reports (a new subfolder a run).",
)
@click.option("--pdf", is_flag=True, help="Also write report.pdf (WeasyPrint).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes deciding in parallel (each its own connection); erasures stay in one.",
)
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=ERASE_BATCH,
    show_default=True,
    help="Erasures a transaction (each transaction whole or not at all).",
)
@click.option(
    "--reduce-suppression-records",
    "reduce",
    is_flag=True,
    help="Also erase the people kept only for a recent objection, keeping just their"
    " hashes and the objection (SUPPRESSION-RECORD: what honouring it needs).",
)
@reports_errors
def run_command(
    dry_run: bool,
    at_text: str | None,
    sender: str | None,
    report_dir: Path,
    pdf: bool,
    workers: int,
    batch: int,
    reduce: bool,
) -> None:
    """Erase every person no sender may keep any longer (the engine's `retain`), record the
    run, and write its report. Safe to interrupt: the next run finishes the work.

    From cron, after the day's imports: `30 2 * * * licite retention run`."""
    from licite.retention.report import write_report
    from licite.retention.runs import run_retention

    at = parse_at(at_text) or datetime.now(PARIS)
    lang = _lang()
    shown = sys.stderr.isatty()

    def progress(decided: int, erased: int, last: bool = False) -> None:
        if last or decided % 500 == 0:
            said = Text(f"… {decided} examinée(s), {erased} effacée(s)",
                        f"… {decided} examined, {erased} erased")  # fmt: skip
            click.echo("\r" + said(lang), err=True, nl=last)

    with Ledger.open(must_exist=True) as ledger:
        result = run_retention(
            ledger,
            at,
            sender=sender,
            dry_run=dry_run,
            progress=progress if shown else None,
            workers=workers,
            erase_batch=batch,
            reduce_suppression=reduce,
        )
    if shown:
        progress(result.decided, len(result.erased), last=True)
    name = f"dry-run-{datetime.now(PARIS):%Y%m%dT%H%M%S%f}" if dry_run else f"run-{result.run_id}"
    written = write_report(report_dir / name, result, lang, pdf=pdf)
    erased = len(result.erased) + len(result.resumed)
    verb = (
        Text("serai(en)t effacée(s)", "would be erased")
        if dry_run
        else Text("effacée(s)", "erased")
    )
    click.echo(
        Text(
            f"{result.decided} personne(s) examinée(s), {erased} {verb.fr},"
            f" {len(result.suppression_only)} conservée(s) comme liste d'opposition,"
            f" {len(result.due)} échéance(s) sous 90 jours — {written[1]}",
            f"{result.decided} person(s) examined, {erased} {verb.en},"
            f" {len(result.suppression_only)} kept as a suppression record,"
            f" {len(result.due)} clock(s) ending within 90 days — {written[1]}",
        )(lang)
    )
    if erased and not dry_run:
        click.echo(
            Text(
                "effacement définitif à la prochaine rotation (licite ledger rotate-keys)",
                "erasure final at the next key rotation (licite ledger rotate-keys)",
            )(lang)
        )


@retention_group.command("due")
@click.option("--within", default="60d", show_default=True, help="Window ahead: 60d, 8w…")
@click.option("--at", "at_text", default=None, help="From this moment (default: now).")
@click.option("--sender", default=None, help="Only this sender's clocks.")
@click.option("--json", "as_json", is_flag=True, help="Each row as JSON, with its link.")
@reports_errors
def due_command(within: str, at_text: str | None, sender: str | None, as_json: bool) -> None:
    """Prospects whose retention clock ends within the window, with their preference-centre
    link, to ask them once before their data goes (CNIL délib. 2021-131)."""
    from licite.retention.due import due, with_links
    from licite.service.links import links_key
    from licite.service.person_config import PersonSettings
    from licite.service.renewals import parse_within

    window = parse_within(within)
    at = parse_at(at_text) or datetime.now(PARIS)
    settings = PersonSettings.from_environ()
    with Ledger.open(must_exist=True) as ledger:
        rows = with_links(
            due(ledger, at, window, sender),
            links_key(ledger.location),
            settings.public_url,
            settings.link_days,
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['expires_at']}  {row['person']}  {row['sender']}  {row['preferences_link']}"
        )
