"""`licite scrub`: decide a whole list against the ledger (the batch path, SPEC §5)."""

from __future__ import annotations

from pathlib import Path

import click

from licite.commands.support import lang, parse_at, reports_errors
from licite.errors import InvalidInput
from licite.i18n import Text


@click.command("scrub")
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option(
    "--campaign",
    "campaign_file",
    required=True,
    type=click.Path(path_type=Path),
    help="The campaign (a case without person and history).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory that receives allowed.csv, blocked.csv, rejected.csv, summary.json"
    " and report.html (a new or empty folder).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace a previous scrub's output in --out (only the files its"
    " .licite-output.json lists).",
)
@click.option(
    "--at",
    "at_text",
    default=None,
    help="The moment of sending (default: the campaign's, else now).",
)
@click.option(
    "--encoding",
    default=None,
    help="The list's encoding: utf-8, windows-1252, latin-1 (default: found from the file).",
)
@click.option(
    "--delimiter",
    default=None,
    help="The list's delimiter: , ; tab or | (default: found from the header).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    help="Name a column for a field, as in --map 'E-mail pro=email' (repeatable).",
)
@click.option(
    "--kind",
    default=None,
    help="The kind of rows that give none: consumer (particulier), professional"
    " (professionnel) or generic_business_address (adresse générique).",
)
@click.option(
    "--excel",
    is_flag=True,
    help="Write the CSV files for French Excel: semicolons and a UTF-8 byte-order mark.",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="The form of the result files (Parquet for machines).",
)
@click.option("--pdf", is_flag=True, help="Also write report.pdf (about six seconds more).")
@reports_errors
def scrub_command(
    contacts: Path,
    campaign_file: Path,
    out: Path,
    at_text: str | None,
    overwrite: bool,
    encoding: str | None,
    delimiter: str | None,
    maps: tuple[str, ...],
    kind: str | None,
    excel: bool,
    form: str,
    pdf: bool,
) -> None:
    """Decide a whole list (CSV or Parquet) against the ledger."""
    from licite.scrub.exports import Style
    from licite.scrub.headers import default_kind, parse_maps
    from licite.scrub.list_source import ListOptions
    from licite.scrub.run import scrub, terminal_progress

    shown_in = lang()
    at = parse_at(at_text)
    if excel and form == "parquet":
        raise InvalidInput(
            Text(
                "--excel et --format parquet s'excluent",
                "--excel and --format parquet exclude each other",
            )
        )
    options = ListOptions(encoding, delimiter, parse_maps(maps), default_kind(kind))
    style = Style("excel" if excel else "parquet" if form == "parquet" else "csv")
    result = scrub(
        contacts,
        campaign_file,
        out,
        at=at,
        lang=shown_in,
        progress=terminal_progress(shown_in),
        overwrite=overwrite,
        list_options=options,
        style=style,
        pdf=pdf,
    )
    counts = result.summary["counts"]
    allowed, blocked, rejected = counts["allowed"], counts["blocked"], counts["rejected"]
    duplicates = counts["duplicates"]
    report = out / "report.html"
    click.echo(
        Text(
            f"{allowed} autorisés, {blocked} bloqués, {rejected} rejetés, {duplicates} doublons"
            f" — {report}",
            f"{allowed} allowed, {blocked} blocked, {rejected} rejected, {duplicates} duplicates"
            f" — {report}",
        )(shown_in)
    )
