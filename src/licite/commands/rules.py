"""`licite rules`: the rule catalogue, whole or as in force on a date."""

from __future__ import annotations

import json
from datetime import date

import click

from licite.commands.support import lang, reports_errors
from licite.errors import InvalidInput
from licite.i18n import Text


@click.command("rules")
@click.option(
    "--as-of", "as_of", default=None, help="Only the rules in force on this date (YYYY-MM-DD)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
@reports_errors
def rules_command(as_of: str | None, as_json: bool) -> None:
    """The rule catalogue: code, citation, in force from/until, explanation."""
    from licite.catalogue import in_force, laws
    from licite.explain import rule_row

    shown_in = lang()
    if as_of is None:
        rows = [rule_row(r, v, shown_in) for law in laws() for r in law.rules for v in r.versions]
    else:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInput(
                Text(f"--as-of : date invalide {as_of!r}", f"--as-of: invalid date {as_of!r}")
            ) from None
        rows = [rule_row(r, v, shown_in) for r, v in in_force(day)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        until = row["in_force_until"] or "…"
        click.echo(f"{row['code']:<30} {row['in_force_from']} → {until:<10}  {row['citation']}")
        click.echo(f"{'':<30} {row['explanation']}")
