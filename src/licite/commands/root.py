"""The `licite` command group (SPEC §4): each command's module is imported on use.

A CRM that runs `licite decide case.yaml --json` per contact pays for what the
process imports; naming the commands here and importing only the one asked for
keeps the ledger, the scrub (DuckDB) and the service (FastAPI) out of a decision.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any

import click

COMMANDS = {
    "campaigns": "licite.commands.service:campaigns_group",
    "casebook": "licite.commands.casebook:casebook_command",
    "decide": "licite.commands.decide:decide_command",
    "gateway": "licite.commands.gateway:gateway_command",
    "demo": "licite.commands.demo:demo_command",
    "keys": "licite.commands.service:keys_group",
    "ledger": "licite.commands.ledger:ledger_group",
    "renewals": "licite.commands.person:renewals_command",
    "retention": "licite.commands.retention:retention_group",
    "rules": "licite.commands.rules:rules_command",
    "scrub": "licite.commands.scrub:scrub_command",
    "serve": "licite.commands.service:serve_command",
    "suppress": "licite.commands.ledger:suppress_group",
    "unsubscribe-headers": "licite.commands.person:unsubscribe_headers_command",
}
"""Each command's name and where it lives (`module:attribute`)."""


class LazyGroup(click.Group):
    """A group whose commands are imported when named (or listed by --help)."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
        whole_sentences(command)
        self.add_command(command, cmd_name)
        return command


def whole_sentences(command: click.Command) -> None:
    """List each command with its whole first sentence, never one cut at "art." or at a
    width ("Erase a person (GDPR art." told a user nothing)."""
    if command.short_help is None and command.help:
        command.short_help = " ".join(command.help.split("\n\n")[0].split())
    if isinstance(command, click.Group):
        for inner in command.commands.values():
            whole_sentences(inner)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="Language of messages (default: $LICITE_LANG, else fr).",
)
@click.version_option(package_name="licite")
def cli(lang: str | None) -> None:
    """licite — may we contact this person, analyse their correspondence, keep their data?"""


def main() -> None:
    try:
        cli(standalone_mode=True)
    except SystemExit:
        raise
    except Exception:  # never a traceback to a user, unless asked for
        if os.environ.get("LICITE_DEBUG"):
            import traceback

            traceback.print_exc()
        click.echo(
            "licite: erreur interne / internal error (LICITE_DEBUG=1 pour le détail / for details)",
            err=True,
        )
        sys.exit(70)
    finally:
        # The process ends here: what is still alive is the OS's to free. Frozen, the
        # objects are not searched for cycles again by the interpreter's shutdown, which
        # was a tenth of a cold decision (20–26 ms of 0.2 s, docs/benchmarks.md).
        gc.freeze()
