"""`licite casebook`: run a folder of case files against their expect blocks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from licite.commands.support import reports_errors


@click.command("casebook")
@click.argument("directory", type=click.Path(path_type=Path, exists=True))
@click.option("--quiet", "-q", is_flag=True, help="Only print failures and the summary line.")
@reports_errors
def casebook_command(directory: Path, quiet: bool) -> None:
    """Run every case file under DIRECTORY against its expect block."""
    from licite.casebook import case_files, run_case

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
