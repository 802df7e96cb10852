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
@click.option(
    "--values",
    "values_only",
    is_flag=True,
    help="Only the legal values (periods, caps, hours, dates) in force on --as-of.",
)
@reports_errors
def rules_command(as_of: str | None, as_json: bool, values_only: bool) -> None:
    """The rule catalogue: code, citation, in force from/until, explanation; with --as-of,
    the legal values in force that day too (law/parameters.yaml)."""
    from licite.catalogue import in_force, laws
    from licite.explain import parameter_row, rule_row
    from licite.parameters import parameters

    shown_in = lang()
    day: date | None = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInput(
                Text(f"--as-of : date invalide {as_of!r}", f"--as-of: invalid date {as_of!r}")
            ) from None
    if day is None:
        rows = [rule_row(r, v, shown_in) for law in laws() for r in law.rules for v in r.versions]
    else:
        rows = [rule_row(r, v, shown_in, day) for r, v in in_force(day)]
    values = [parameter_row(p, day, shown_in) for p in parameters().values()] if day else []
    if as_json:
        click.echo(json.dumps(values if values_only else rows, ensure_ascii=False, indent=2))
        return
    if not values_only:
        for row in rows:
            until = row["in_force_until"] or "…"
            click.echo(f"{row['code']:<30} {row['in_force_from']} → {until:<10}  {row['citation']}")
            click.echo(f"{'':<30} {row['explanation']}")
    if values:
        title = Text("Valeurs en vigueur le", "Values in force on")(shown_in)
        click.echo(f"\n{title} {day}:" if not values_only else f"{title} {day}:")
        for row in values:
            click.echo(f"{row['name']:<32} {row['value']:<28} {row['since']}  {row['reference']}")
