"""`licite serve`, `licite keys …` and `licite campaigns …`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from licite.commands.support import lang, reports_errors
from licite.documents import read_document
from licite.i18n import Text
from licite.ledger.ledger import Ledger
from licite.moments import PARIS

SCOPES = ("admin", "write", "read")  # licite.service.keys.SCOPES, without importing it yet


def _moment(micros: int | None) -> str:
    return "" if micros is None else datetime.fromtimestamp(micros / 1e6, PARIS).isoformat()


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on ($LICITE_SERVE_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="($LICITE_SERVE_PORT, 8000)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes ($LICITE_SERVE_WORKERS, 1).",
)
@reports_errors
def serve_command(host: str | None, port: int | None, workers: int | None) -> None:
    """The HTTP decision API (POST /v1/decide, …; GET /openapi.json describes it)."""
    import uvicorn

    from licite.service.config import Settings
    from licite.service.logs import configure

    settings = Settings.from_environ()
    configure(settings.log_level)
    with Ledger.open(settings.database_url):
        pass  # create or upgrade the store once, before the workers start
    uvicorn.run(
        "licite.service.app:create_app",
        factory=True,
        host=host or settings.host,
        port=settings.port if port is None else port,
        workers=workers or settings.workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


@click.group("keys")
def keys_group() -> None:
    """API keys of `licite serve` (stored hashed in the ledger)."""


@keys_group.command("create")
@click.option("--scope", type=click.Choice(SCOPES), required=True, help="admin, write or read.")
@click.option("--name", default=None, help="Who or what uses it (shown by `keys list`).")
@reports_errors
def keys_create(scope: str, name: str | None) -> None:
    """Print a new key, once: it is stored only as a hash."""
    from licite.service.keys import create_key

    with Ledger.open() as ledger:
        text, _ = create_key(ledger, scope, name)
    click.echo(text)


@keys_group.command("list")
@reports_errors
def keys_list() -> None:
    """Every key: id, scope, name, created, revoked."""
    from licite.service.keys import list_keys

    with Ledger.open() as ledger:
        keys = list_keys(ledger)
    for key in keys:
        revoked = _moment(key.revoked_at_us) or "-"
        click.echo(
            f"{key.id}  {key.scope:<5}  {_moment(key.created_at_us)}  {revoked}  {key.name or ''}"
        )


@keys_group.command("revoke")
@click.argument("key_id")
@reports_errors
def keys_revoke(key_id: str) -> None:
    """Revoke KEY_ID (or the full key): refused by every replica from its next request."""
    from licite.service.keys import revoke_key

    with Ledger.open() as ledger:
        key = revoke_key(ledger, key_id)
    click.echo(
        Text(
            f"clé {key.id} révoquée le {_moment(key.revoked_at_us)}",
            f"key {key.id} revoked at {_moment(key.revoked_at_us)}",
        )(lang())
    )


@click.group("campaigns")
def campaigns_group() -> None:
    """Campaigns registered in the ledger, named by the API, the scrub and the gateway."""


@campaigns_group.command("add")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@reports_errors
def campaigns_add(file: Path) -> None:
    """Register CAMPAIGN.yaml (SPEC §2, with its `id`); adding an id again makes a new version."""
    document = read_document(file)
    from licite.service.campaigns import add_campaign

    with Ledger.open() as ledger:
        stored = add_campaign(ledger, document, name=str(file))
    click.echo(
        Text(
            f"campagne {stored.id} enregistrée (version {stored.version})",
            f"campaign {stored.id} registered (version {stored.version})",
        )(lang())
    )


@campaigns_group.command("list")
@reports_errors
def campaigns_list() -> None:
    from licite.service.campaigns import list_campaigns

    with Ledger.open() as ledger:
        found = list_campaigns(ledger)
    for stored in found:
        s = stored.summary()
        what = f"{s['action']} {s['channel'] or ''} {s['purpose'] or ''}"
        click.echo(f"{s['id']}  v{s['version']}  {what}  {s['title'] or ''}")


@campaigns_group.command("show")
@click.argument("campaign_id")
@reports_errors
def campaigns_show(campaign_id: str) -> None:
    from licite.service.campaigns import get_campaign

    with Ledger.open() as ledger:
        stored = get_campaign(ledger, campaign_id)
    click.echo(
        json.dumps({**stored.summary(), "document": stored.document}, ensure_ascii=False, indent=2)
    )
