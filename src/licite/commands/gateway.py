"""`licite gateway --listen H:P --upstream H:P` (SPEC §4)."""

from __future__ import annotations

import click

from licite.commands.support import reports_errors
from licite.errors import InvalidInput
from licite.i18n import Text


@click.command("gateway")
@click.option(
    "--listen", default="127.0.0.1:2525", show_default=True, help="HOST:PORT to listen on."
)
@click.option("--upstream", required=True, help="HOST:PORT of the SMTP server to relay to.")
@reports_errors
def gateway_command(listen: str, upstream: str) -> None:
    """The SMTP compliance relay: each recipient decided against the ledger for the campaign
    named in X-Licite-Campaign; refused ones get 550 with the reason codes."""
    import asyncio

    from licite.gateway.config import GatewaySettings, host_port
    from licite.gateway.handler import Handler
    from licite.gateway.relaying import Gateway
    from licite.gateway.server import serve
    from licite.ledger.ledger import Ledger
    from licite.service.config import Settings
    from licite.service.links import links_key
    from licite.service.logs import configure

    host, port = host_port("--listen", listen)
    settings = GatewaySettings.from_environ(upstream)
    configure(Settings.from_environ().log_level)
    # The store created or upgraded, and the links key made, once, here: not by two
    # workers at once, and where an error is reported plainly.
    with Ledger.open() as ledger:
        links_key(ledger.location)
    handler = Handler(
        lambda: Gateway(Ledger.open(), settings), settings.max_recipients, settings.workers
    )
    handler.start()
    click.echo(f"licite gateway: {host}:{port} → {settings.upstream_host}:{settings.upstream_port}")
    try:
        asyncio.run(serve(handler, host, port))
    except KeyboardInterrupt:
        pass
    except OSError as error:  # the address taken, or not this host's
        raise InvalidInput(
            Text(
                f"--listen : impossible d'écouter sur {listen} ({error.strerror})",
                f"--listen: cannot listen on {listen} ({error.strerror})",
            )
        ) from None
    finally:
        handler.close()
