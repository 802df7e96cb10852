"""`licite decide`: one case file, or one person of the ledger for a campaign (SPEC §4)."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from licite.commands.support import lang, parse_at, reports_errors
from licite.errors import InvalidInput
from licite.i18n import Text

if TYPE_CHECKING:
    from licite.decision import Decision


@click.command("decide")
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
        decision = decide_from_ledger(case_file, person_id, campaign, at_text)
    elif case_file is None:
        raise InvalidInput(Text("CASE : fichier de cas attendu", "CASE: a case file is expected"))
    else:
        with no_cycle_search():
            decision = decide_case(case_file)
    if as_json:
        click.echo(json.dumps(decision.to_dict(lang()), ensure_ascii=False, indent=2))
    else:
        from licite.explain import explain_decision

        click.echo(explain_decision(decision, lang()))


def decide_case(case_file: Path) -> Decision:
    """The decision for a case file, or for the case on standard input (`-`)."""
    from licite.case import load_case
    from licite.documents import read_document
    from licite.engine import decide

    if str(case_file) == "-":
        return decide(load_case(_stdin_document(), name="-"))
    return decide(load_case(read_document(case_file), name=str(case_file)))


@contextmanager
def no_cycle_search() -> Iterator[None]:
    """Python's cycle collector paused for one bounded piece of work (one case, at most
    `MAX_EVENTS` events): a cold decision imports and builds thousands of objects, none
    of them garbage, and the collector's passes over them cost 2–4 ms of CPU of some
    0.2 s (docs/benchmarks.md)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _stdin_document() -> object:
    """The case written on standard input (`licite decide -`), YAML or JSON."""
    from licite.documents import parse_text

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


def decide_from_ledger(
    case_file: Path | None, person_id: str | None, campaign_file: Path | None, at_text: str | None
) -> Decision:
    """`licite decide --person ID --campaign FILE [--at T]`."""
    from licite.case import load_campaign
    from licite.documents import read_document
    from licite.ledger.decide import decide_person
    from licite.ledger.ledger import Ledger

    if case_file is not None:
        raise InvalidInput(
            Text(
                "CASE et --person/--campaign s'excluent : un cas porte déjà sa personne",
                "CASE and --person/--campaign exclude each other: a case carries its person",
            )
        )
    if person_id is None or campaign_file is None:
        raise InvalidInput(
            Text("--person et --campaign vont ensemble", "--person and --campaign go together")
        )
    campaign = load_campaign(read_document(campaign_file), name=str(campaign_file))
    with Ledger.open(must_exist=True) as ledger:
        return decide_person(ledger, person_id, campaign, parse_at(at_text))
