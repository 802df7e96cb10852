"""`licite demo`: the main job on embedded defaults, start to end."""

from __future__ import annotations

from pathlib import Path

import click

from licite.commands.support import lang, reports_errors

_EXAMPLES = Path(__file__).parent.parent / "examples"


@click.command("demo")
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

    casebook = next((c for c in (Path("../shared/casebook"), _EXAMPLES) if c.is_dir()), None)
    run_demo(
        directory,
        people=people,
        casebook=casebook,
        lang=lang(),
        say=click.echo,
        overwrite=overwrite,
    )
