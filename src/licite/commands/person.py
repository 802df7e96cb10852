"""`licite unsubscribe-headers` (the headers of one person's message) and `licite renewals`."""

from __future__ import annotations

import json

import click

from licite.commands.support import reports_errors
from licite.ledger.ledger import Ledger


@click.command("unsubscribe-headers")
@click.option("--person", "person_id", required=True, help="The person's id in the ledger.")
@click.option("--campaign", "campaign_id", required=True, help="A registered campaign's id.")
@click.option("--json", "as_json", is_flag=True, help="The values and links as JSON.")
@reports_errors
def unsubscribe_headers_command(person_id: str, campaign_id: str, as_json: bool) -> None:
    """List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) for PERSON and CAMPAIGN."""
    from licite.service.links import links_key
    from licite.service.person_config import PersonSettings
    from licite.service.unsubscribe import headers_for

    settings = PersonSettings.from_environ()
    with Ledger.open() as ledger:
        values = headers_for(settings, links_key(ledger.location), ledger, person_id, campaign_id)
    if as_json:
        click.echo(json.dumps(values, ensure_ascii=False, indent=2))
        return
    click.echo(f"List-Unsubscribe: {values['List-Unsubscribe']}")
    click.echo(f"List-Unsubscribe-Post: {values['List-Unsubscribe-Post']}")


@click.command("renewals")
@click.option("--within", default="30d", show_default=True, help="Window ahead: 30d, 8w…")
@click.option("--json", "as_json", is_flag=True, help="Each renewal as JSON, with its link.")
@reports_errors
def renewals_command(within: str, as_json: bool) -> None:
    """Analysis consents that lapse within the window (L32-3, D. 98-5 I), with renewal links."""
    from licite.service.links import links_key
    from licite.service.person_config import PersonSettings
    from licite.service.renewals import due, listed, parse_within

    window = parse_within(within)
    settings = PersonSettings.from_environ()
    with Ledger.open() as ledger:
        rows = listed(settings, links_key(ledger.location), due(ledger, window))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['expires_at']}  {row['person']}  {row['processing']}/{row['purpose']}"
            f"  {row['renewal_link']}"
        )
