"""`licite ledger …` and `licite suppress …`: the consent ledger and the opposition lists."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from licite.commands.support import lang, parse_at, reports_errors, say
from licite.documents import read_document
from licite.errors import InvalidInput, Tampered
from licite.i18n import Text
from licite.ledger.checkpoints import check_against, checkpoint_now, export_checkpoints
from licite.ledger.dossier import dossier
from licite.ledger.erasure import erase, erased_since_rotation, rotate_keys
from licite.ledger.history import history_as_of
from licite.ledger.importer import BATCH_LINES, ImportReport, import_file
from licite.ledger.ledger import Ledger
from licite.ledger.suppression import LISTS, import_list
from licite.ledger.verify import (
    UNSEEN_WITHOUT_WITNESS,
    key_warnings,
    verify,
    witness_warnings,
    witnessed_text,
)
from licite.ledger.witness import read_witness, witness
from licite.moments import PARIS


@click.group("ledger")
def ledger_group() -> None:
    """The consent ledger named by LICITE_DATABASE_URL (default sqlite:///licite.db)."""


@ledger_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--batch-lines", default=BATCH_LINES, show_default=True, type=click.IntRange(1))
@reports_errors
def import_command(file: Path, batch_lines: int) -> None:
    """Import FILE: JSON lines (people and events, SPEC §4) or a CSV of people.

    After each committed batch, prints "committed through line N" on stdout.
    """
    progress = sys.stderr.isatty()

    def acknowledge(line: int, report: ImportReport) -> None:
        click.echo(f"committed through line {line}")
        if progress:
            click.echo(f"\r… {line} lines, {report.events_added} events", err=True, nl=False)

    with Ledger.open() as ledger:
        report = import_file(ledger, file, batch_lines=batch_lines, acknowledge=acknowledge)
    if progress:
        click.echo("", err=True)
    shown_in = lang()
    for line, text in sorted(report.rejected, key=lambda r: r[0]):
        click.echo(f"{file}:{line}: {text(shown_in)}", err=True)
    say(_summary(report))
    if report.rejected:
        sys.exit(2)


def _summary(r: ImportReport) -> Text:
    return Text(
        f"{r.persons_added} personne(s) ajoutée(s), {r.persons_unchanged} déjà là,"
        f" {r.persons_erased} effacée(s) ignorée(s) ; {r.events_added} événement(s) ajouté(s),"
        f" {r.events_duplicate} doublon(s) ignoré(s) ; {len(r.rejected)} ligne(s) rejetée(s)",
        f"{r.persons_added} person(s) added, {r.persons_unchanged} already there,"
        f" {r.persons_erased} erased skipped; {r.events_added} event(s) added,"
        f" {r.events_duplicate} duplicate(s) skipped; {len(r.rejected)} line(s) rejected",
    )


@ledger_group.command("verify")
@click.option(
    "--against",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Also check checkpoints held elsewhere (a file from `checkpoint export`).",
)
@click.option(
    "--witness",
    "witness_log",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Also check the ledger holds all a witness log saw (`ledger witness --to`).",
)
@reports_errors
def verify_command(against: Path | None, witness_log: Path | None) -> None:
    """Exit 0 when the ledger is intact; else name the first record changed, removed,
    inserted or reordered, or what a witness saw that the ledger lost (exit 4)."""
    with Ledger.open(must_exist=True) as ledger:
        for warning in key_warnings(ledger):
            click.echo(f"licite: {warning(lang())}", err=True)
        log = read_witness(witness_log) if witness_log else None
        try:
            found = verify(ledger, log)
            held = check_against(ledger, read_document(against)) if against else None
        except Tampered as fault:
            _keep(ledger, intact=False, events=0, witnessed=log is not None, fault=fault.text)
            raise
        _keep(ledger, intact=True, events=found.events, witnessed=found.witnessed is not None)
    say(
        Text(
            f"registre intact : {found.events} événement(s), {found.persons} fiche(s) personne,"
            f" {found.checkpoints} point(s) de contrôle signé(s), {found.wordings} texte(s)",
            f"ledger intact: {found.events} event(s), {found.persons} person record(s),"
            f" {found.checkpoints} signed checkpoint(s), {found.wordings} wording(s)",
        )
    )
    if held is not None:
        say(
            Text(
                f"{held} point(s) de contrôle détenu(s) vérifié(s)",
                f"{held} held checkpoint(s) match",
            )
        )
    if found.witnessed is not None:
        say(witnessed_text(found.witnessed, witness_log))
    else:
        say(UNSEEN_WITHOUT_WITNESS)


def _keep(
    ledger: Ledger, *, intact: bool, events: int, witnessed: bool, fault: Text | None = None
) -> None:
    """What verify found, for the DPO's dashboard; a ledger it cannot write to is still
    verified (a read-only replica): it says so and goes on."""
    from licite.ledger.verifications import record_verification

    try:
        record_verification(ledger, intact=intact, events=events, witnessed=witnessed, fault=fault)
    except Exception as error:  # best effort: the verification itself stands
        click.echo(
            "licite: "
            + Text(
                f"vérification non consignée pour le tableau de bord ({type(error).__name__})",
                f"verification not recorded for the dashboard ({type(error).__name__})",
            )(lang()),
            err=True,
        )


@ledger_group.command("witness")
@click.option(
    "--to",
    "log",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The witness log: JSON lines, only ever appended to (created if absent).",
)
@reports_errors
def witness_command(log: Path) -> None:
    """Append the new signed checkpoints and the signed head to a witness log kept
    outside the database (another volume, another machine's share)."""
    with Ledger.open(must_exist=True) as ledger:
        for warning in witness_warnings(ledger, log):
            click.echo(f"licite: {warning(lang())}", err=True)
        appended = witness(ledger, log)
    head = Text(" et la tête signée", " and the signed head") if appended.head else Text("", "")
    say(
        Text(
            f"{log} : {appended.checkpoints} point(s) de contrôle{head.fr} témoigné(s)",
            f"{log}: {appended.checkpoints} checkpoint(s){head.en} witnessed",
        )
    )


@ledger_group.command("export")
@click.option("--person", "person_id", required=True, help="The person's id.")
@click.option(
    "--format",
    "form",
    type=click.Choice(["chain", "json", "html", "pdf"]),
    default="chain",
    show_default=True,
    help="chain: the ledger's records as JSON; json, html, pdf: the access-request dossier"
    " (GDPR art. 15) in the language of --lang.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this new file (required for pdf); an existing file is never overwritten.",
)
@click.option("--at", "at_text", default=None, help="The moment of the dossier (default: now).")
@reports_errors
def export_command(person_id: str, form: str, out: Path | None, at_text: str | None) -> None:
    """The person's dossier: on an access request, what GDPR art. 15 requires, with the
    chain's inclusion proof as an annex."""
    from licite.dossier_export import deliver, render_dossier

    if form == "pdf" and out is None:
        raise InvalidInput(
            Text("--format pdf : --out FICHIER est requis", "--format pdf: --out FILE is required")
        )
    at = parse_at(at_text)
    with Ledger.open(must_exist=True) as ledger:
        if form == "chain":
            document: str | bytes = json.dumps(
                dossier(ledger, person_id), ensure_ascii=False, indent=2
            )
        else:
            document = render_dossier(ledger, person_id, form, lang(), at)
    deliver(document, out)


@ledger_group.command("history")
@click.option("--person", "person_id", required=True, help="The person's id.")
@click.option("--at", "at_text", default=None, help="As the ledger stood at this moment.")
@reports_errors
def history_command(person_id: str, at_text: str | None) -> None:
    """The person's history (SPEC §2 vocabulary) as the ledger knew it, as JSON lines."""
    at = parse_at(at_text)
    with Ledger.open(must_exist=True) as ledger:
        events = history_as_of(ledger, ledger.person(person_id), at)
    for event in events:
        shown = event.model_dump(mode="json", exclude_defaults=True)
        shown["at"] = event.at.astimezone(PARIS).isoformat()
        click.echo(json.dumps(shown, ensure_ascii=False))


@ledger_group.command("erase")
@click.option("--person", "person_id", required=True, help="The person's id.")
@click.option(
    "--rotate",
    is_flag=True,
    help="Then rotate the key epoch at once (see `rotate-keys`), rather than at the next one.",
)
@reports_errors
def erase_command(person_id: str, rotate: bool) -> None:
    """Erase a person (GDPR art. 17): destroy their key, keep the suppression hashes.

    Copies of the destroyed key row (backups, PostgreSQL dead rows and WAL) stay
    readable with the current epoch key until `licite ledger rotate-keys` runs."""
    with Ledger.open(must_exist=True) as ledger:
        moment = erase(ledger, person_id, rotate=rotate)
    say(
        Text(
            f"{person_id} effacé le {moment.isoformat()} ; son opposition reste enregistrée",
            f"{person_id} erased at {moment.isoformat()}; their objection stays recorded",
        )
    )
    if not rotate:
        say(
            Text(
                "effacement définitif à la prochaine rotation (licite ledger rotate-keys)",
                "erasure final at the next key rotation (licite ledger rotate-keys)",
            )
        )


@ledger_group.command("rotate-keys")
@click.option(
    "--if-erased",
    is_flag=True,
    help="Only when someone was erased since the last rotation (for a cron job).",
)
@reports_errors
def rotate_keys_command(if_erased: bool) -> None:
    """Wrap every person key under a new epoch key and destroy the old one, so no copy
    of the ledger (backup, dump, dead rows, WAL) can bring an erased person back.

    Safe to interrupt at any point. Daily, from cron:
    `17 3 * * * licite ledger rotate-keys --if-erased`."""
    with Ledger.open(must_exist=True) as ledger:
        if if_erased and not erased_since_rotation(ledger):
            say(
                Text(
                    "aucun effacement depuis la dernière rotation : rien à faire",
                    "no erasure since the last rotation: nothing to do",
                )
            )
            return
        rotated = rotate_keys(ledger)
    say(
        Text(
            f"époque de clés {rotated.epoch} : {rotated.rewrapped} clé(s) de personne"
            f" rechiffrée(s), {len(rotated.destroyed)} ancienne(s) clé(s) détruite(s)",
            f"key epoch {rotated.epoch}: {rotated.rewrapped} person key(s) re-wrapped,"
            f" {len(rotated.destroyed)} old key(s) destroyed",
        )
    )
    if rotated.master_left:
        say(
            Text(
                "LICITE_MASTER_KEY (ou master.key) ne protège plus rien dans ce registre, mais"
                " ouvre encore ses anciennes copies : détruisez-la, et ses sauvegardes, dès"
                " qu'aucun autre registre ne s'en sert",
                "LICITE_MASTER_KEY (or master.key) no longer protects anything in this ledger"
                " but still opens its old copies: destroy it, and its backups, once no other"
                " ledger uses it",
            )
        )


@ledger_group.group("checkpoint", invoke_without_command=True)
@click.pass_context
@reports_errors
def checkpoint_group(context: click.Context) -> None:
    """Sign a checkpoint of the chain now (or `export FILE` them all)."""
    if context.invoked_subcommand is None:
        with Ledger.open() as ledger:
            checkpoint_now(ledger)
        say(Text("point de contrôle signé", "checkpoint signed"))


@checkpoint_group.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@reports_errors
def checkpoint_export(file: Path) -> None:
    """Write every signed checkpoint and the public key to FILE, for a third party."""
    with Ledger.open(must_exist=True) as ledger:
        data = export_checkpoints(ledger)
    try:
        file.write_text(json.dumps(data, indent=2) + "\n")
    except OSError as error:
        raise InvalidInput(
            Text(
                f"{file} : écriture impossible ({error.strerror})",
                f"{file}: cannot write ({error.strerror})",
            )
        ) from None


@click.group("suppress")
def suppress_group() -> None:
    """Opposition lists (Bloctel)."""


@suppress_group.command("import")
@click.option("--list", "list_name", type=click.Choice(LISTS), required=True)
@click.option("--at", "at_text", default=None, help="When the list was received (default: now).")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@reports_errors
def suppress_import(list_name: str, at_text: str | None, file: Path) -> None:
    """Import FILE: phone numbers, one a line, any common format."""
    at = parse_at(at_text) or datetime.now(PARIS)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(
            Text(f"{file} : lecture impossible ({error})", f"{file}: cannot be read ({error})")
        ) from None
    with Ledger.open() as ledger:
        report = import_list(ledger, list_name, lines, at)
    shown_in = lang()
    for line, text in report.rejected:
        click.echo(f"{file}:{line}: {text(shown_in)}", err=True)
    say(
        Text(
            f"{report.imported} numéro(s) importé(s) dans {list_name}, daté(s) du"
            f" {at.isoformat()} ; {len(report.rejected)} ligne(s) rejetée(s)",
            f"{report.imported} number(s) imported into {list_name}, dated {at.isoformat()};"
            f" {len(report.rejected)} line(s) rejected",
        )
    )
    if report.rejected:
        sys.exit(2)
