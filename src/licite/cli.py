"""The `licite` command (SPEC §4)."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

import click

from licite.case import load_case
from licite.casebook import case_files, run_case
from licite.catalogue import in_force, laws
from licite.documents import parse_text, read_document
from licite.engine import decide
from licite.errors import DiskFull, InvalidInput, LiciteError, is_disk_full
from licite.explain import explain_decision, rule_row
from licite.i18n import Lang, Text, default_lang

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a LiciteError into its message and exit status; never show a traceback.
    A full disk found by a plain write (an OSError) is reported as such too."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OSError as error:
            if not is_disk_full(error):
                raise
            _report(DiskFull.at(error.filename))
        except LiciteError as error:
            _report(error)

    return wrapper


def _report(error: LiciteError) -> NoReturn:
    lang = click.get_current_context().find_root().params.get("lang") or default_lang()
    click.echo(f"licite: {error.text(lang)}", err=True)
    sys.exit(error.exit_status)


def _lang() -> Lang:
    value = click.get_current_context().find_root().params.get("lang")
    return "en" if value == "en" else "fr" if value == "fr" else default_lang()


@click.group()
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="Language of messages (default: $LICITE_LANG, else fr).",
)
@click.version_option(package_name="licite")
def cli(lang: str | None) -> None:
    """licite — may we contact this person, analyse their correspondence, keep their data?"""


@cli.command("decide")
@click.argument("case_file", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON (SPEC §3).")
@click.option(
    "--person", "person_id", default=None, help="A person of the ledger (with --campaign)."
)
@click.option("--campaign", type=click.Path(path_type=Path), default=None, help="Campaign file.")
@click.option("--at", "at_text", default=None, help="With --person: the moment (default: now).")
@reports_errors
def decide_command(
    case_file: Path | None,
    as_json: bool,
    person_id: str | None,
    campaign: Path | None,
    at_text: str | None,
) -> None:
    """Decide one case file (YAML or JSON; `-` reads it from standard input), or a person
    of the ledger for a campaign."""
    if person_id is not None or campaign is not None:
        from licite.ledger.commands import decide_from_ledger

        decision = decide_from_ledger(case_file, person_id, campaign, at_text)
    elif case_file is None:
        raise InvalidInput(Text("CASE : fichier de cas attendu", "CASE: a case file is expected"))
    elif str(case_file) == "-":
        decision = decide(load_case(_stdin_document(), name="-"))
    else:
        decision = decide(load_case(read_document(case_file), name=str(case_file)))
    lang = _lang()
    if as_json:
        click.echo(json.dumps(decision.to_dict(lang), ensure_ascii=False, indent=2))
    else:
        click.echo(explain_decision(decision, lang))


def _stdin_document() -> object:
    """The case written on standard input (`licite decide -`), YAML or JSON."""
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            Text(
                f"- : l'entrée standard n'est pas en UTF-8 (octet {error.start})",
                f"-: standard input is not UTF-8 (byte {error.start})",
            )
        ) from None
    return parse_text(text, name="-")


@cli.command("casebook")
@click.argument("directory", type=click.Path(path_type=Path, exists=True))
@click.option("--quiet", "-q", is_flag=True, help="Only print failures and the summary line.")
@reports_errors
def casebook_command(directory: Path, quiet: bool) -> None:
    """Run every case file under DIRECTORY against its expect block."""
    passed = failed = 0
    for path in case_files(directory):
        outcome = run_case(path)
        if outcome.passed:
            passed += 1
        else:
            failed += 1
        if not quiet or not outcome.passed:
            mark = "PASS" if outcome.passed else "FAIL"
            name = path.relative_to(directory) if path != directory else path
            click.echo(f"{mark} {name}: {outcome.detail}")
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@cli.command("rules")
@click.option(
    "--as-of", "as_of", default=None, help="Only the rules in force on this date (YYYY-MM-DD)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
@reports_errors
def rules_command(as_of: str | None, as_json: bool) -> None:
    """The rule catalogue: code, citation, in force from/until, explanation."""
    lang = _lang()
    if as_of is None:
        rows = [rule_row(r, v, lang) for law in laws() for r in law.rules for v in r.versions]
    else:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInput(
                Text(f"--as-of : date invalide {as_of!r}", f"--as-of: invalid date {as_of!r}")
            ) from None
        rows = [rule_row(r, v, lang) for r, v in in_force(day)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        until = row["in_force_until"] or "…"
        click.echo(f"{row['code']:<30} {row['in_force_from']} → {until:<10}  {row['citation']}")
        click.echo(f"{'':<30} {row['explanation']}")


@cli.command("demo")
@click.option("--people", default=30_000, show_default=True, help="Size of the ledger built.")
@click.option(
    "--dir",
    "directory",
    default="demo",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where the ledger, list and reports go (a new or empty folder).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace a previous demo in --dir (only the files it lists in .licite-output.json).",
)
@reports_errors
def demo_command(people: int, directory: Path, overwrite: bool) -> None:
    """The main job on embedded defaults: build a ledger, scrub two campaigns, show the results."""
    from licite.demo import run_demo

    casebook = next(
        (c for c in (Path("../shared/casebook"), Path(__file__).parent / "examples") if c.is_dir()),
        None,
    )
    run_demo(
        directory,
        people=people,
        casebook=casebook,
        lang=_lang(),
        say=click.echo,
        overwrite=overwrite,
    )


def _demo_casebook() -> Path:
    for candidate in (Path("../shared/casebook"), Path(__file__).parent / "examples"):
        if candidate.is_dir():
            return candidate
    raise InvalidInput(Text("aucun recueil de cas trouvé", "no casebook found"))


@cli.command("scrub")
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

    lang = _lang()
    from licite.ledger.commands import parse_at

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
        lang=lang,
        progress=terminal_progress(lang),
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
        )(lang)
    )


def _register_ledger() -> None:
    from licite.ledger.commands import ledger_group, suppress_group

    cli.add_command(ledger_group)
    cli.add_command(suppress_group)


_register_ledger()


def _register_service() -> None:
    from licite.service.commands import campaigns_group, keys_group, serve_command

    cli.add_command(serve_command)
    cli.add_command(keys_group)
    cli.add_command(campaigns_group)

    from licite.service.person_commands import renewals_command, unsubscribe_headers_command

    cli.add_command(unsubscribe_headers_command)
    cli.add_command(renewals_command)


_register_service()


def _register_retention() -> None:
    from licite.retention.commands import retention_group

    cli.add_command(retention_group)


_register_retention()


def _whole_sentences(group: click.Group) -> None:
    """List each command with its whole first sentence, never one cut at "art." or at a
    width ("Erase a person (GDPR art." told a user nothing)."""
    for command in group.commands.values():
        if command.short_help is None and command.help:
            first = command.help.split("\n\n")[0]
            command.short_help = " ".join(first.split())
        if isinstance(command, click.Group):
            _whole_sentences(command)


_whole_sentences(cli)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except SystemExit:
        raise
    except Exception:  # never a traceback to a user, unless asked for
        if os.environ.get("LICITE_DEBUG"):
            traceback.print_exc()
        click.echo(
            "licite: erreur interne / internal error (LICITE_DEBUG=1 pour le détail / for details)",
            err=True,
        )
        sys.exit(70)
