"""The house's straight edges (issue 14), read from the source's imports.

- The command line is one wing (`licite.commands`): nothing else imports it, so no
  edge runs back up from the ledger, the scrub or the service into the CLI.
- The instants as integers (`micros`, `moment_of_micros`) live in `licite.moments`.
- Every error a user can see is declared in `licite.errors`.
Each check is also run on a small tree that breaks it, so it is seen to fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).parent.parent / "src"


def modules(root: Path) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports(module: str, tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(imported module, imported name or "") for every import, at any depth (the lazy
    ones inside functions count: they are edges too)."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ""
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this module's package
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1]])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                yield base, alias.name


ENTRY_POINTS = ("licite.cli", "licite.__main__")
"""Aliases of the command for those who name it (`licite.cli:main`, `python -m licite`):
they import the wing, and nothing imports them."""


def back_edges(root: Path, wing: str = "licite.commands") -> list[str]:
    """Imports of the command wing (or the old `licite.cli`) from outside it."""
    found = []
    for module, tree in modules(root):
        if module == wing or module.startswith(wing + ".") or module in ENTRY_POINTS:
            continue
        for target, name in imports(module, tree):
            whole = f"{target}.{name}" if name else target
            for reached in (target, whole):
                if reached in (wing, "licite.cli") or reached.startswith(wing + "."):
                    found.append(f"{module} imports {whole}")
                    break
    return found


def moved_instants(root: Path) -> list[str]:
    """Instant helpers defined or imported anywhere but `licite.moments`."""
    found = []
    for module, tree in modules(root):
        if module == "licite.moments":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in _INSTANTS:
                found.append(f"{module} defines {node.name}")
        for target, name in imports(module, tree):
            if name in _INSTANTS and target != "licite.moments":
                found.append(f"{module} imports {name} from {target}")
    return found


_INSTANTS = {"micros", "moment_of_micros"}


def stray_errors(root: Path) -> list[str]:
    """Classes deriving from an error of `licite.errors` declared outside it."""
    trees = dict(modules(root))
    ours = {
        node.name
        for node in ast.walk(trees["licite.errors"])
        if isinstance(node, ast.ClassDef) and node.name[0] != "_"
    }
    found = []
    for module, tree in trees.items():
        if module == "licite.errors":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases}
                if bases & ours:
                    found.append(f"{module}.{node.name}")
    return found


def test_nothing_imports_the_command_line_back() -> None:
    assert back_edges(SOURCE) == []


def test_the_ledger_package_has_no_edge_into_the_cli() -> None:
    trees = dict(modules(SOURCE))
    ledger = [m for m in trees if m == "licite.ledger" or m.startswith("licite.ledger.")]
    assert len(ledger) > 20  # the walk does see the ledger's modules
    reached = {target for m in ledger for target, _ in imports(m, trees[m])}
    assert "licite.ledger.rows" in reached  # and their imports
    assert not {t for t in reached if t.startswith("licite.commands") or t == "licite.cli"}


def test_instants_live_in_moments() -> None:
    assert moved_instants(SOURCE) == []


def test_every_user_error_is_declared_in_errors() -> None:
    assert stray_errors(SOURCE) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in {"licite/errors.py": "class LiciteError(Exception): ...\n", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "text",
    [
        "from licite.commands.support import reports_errors\n",
        "from licite.commands import cli\n",
        "def later():\n    import licite.commands.root\n",
        "from ..commands import support\n",
        "from licite.cli import _lang\n",
    ],
)
def test_a_back_edge_is_found(tmp_path: Path, text: str) -> None:
    root = _tree(tmp_path, {"licite/commands/support.py": "", "licite/ledger/store.py": text})
    assert back_edges(root) == [back_edges(root)[0]]
    assert back_edges(root)[0].startswith("licite.ledger.store imports licite.c")


def test_a_stray_instant_helper_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "licite/moments.py": "def micros(m): ...\n",
            "licite/scrub/run.py": "from licite.ledger.rows import micros\n",
            "licite/ledger/rows.py": "def micros(m): ...\n",
        },
    )
    assert sorted(moved_instants(root)) == [
        "licite.ledger.rows defines micros",
        "licite.scrub.run imports micros from licite.ledger.rows",
    ]


def test_a_stray_error_class_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"licite/pdf.py": "class PdfGone(errors.LiciteError): ...\n"})
    assert stray_errors(root) == ["licite.pdf.PdfGone"]


def test_every_named_command_is_found_under_its_name() -> None:
    """The lazy map cannot rot unseen: each entry imports, and is the command it names."""
    import click

    from licite.commands.root import COMMANDS, cli

    context = click.Context(cli)
    assert cli.list_commands(context) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert isinstance(command, click.Command), name
        assert command.name == name
    assert cli.get_command(context, "no-such-command") is None


def test_the_historical_entry_points_still_run_the_command(tmp_path: Path) -> None:
    # Harnesses and scripts written against `licite.cli:main` or `python -m licite.cli`.
    import subprocess
    import sys

    case = Path(__file__).with_name("cases") / "post-opt-out.yaml"
    for module in ("licite.cli", "licite"):
        done = subprocess.run(
            [sys.executable, "-m", module, "casebook", str(case)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"
    from licite.cli import main
    from licite.commands import main as wing_main

    assert main is wing_main
