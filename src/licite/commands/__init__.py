"""The command line, one wing: every `licite …` command lives in this package.

Commands call into the engine, the ledger, the scrub and the service; nothing
there imports back from here (tests/test_edges.py walks the imports to keep it so).

`main` is the `licite` script's entry point. It pauses Python's cycle collector
before the command line is imported: a cold start builds tens of thousands of
objects (click, pydantic, licite's modules), none of them garbage, and the
collector's passes over them cost 10 ms of a 0.16 s decision. The command group
freezes what the start built and restarts the collector before a command runs
(`licite.commands.root.resume_collector`); `cli` is imported on use, so that
this module imports nothing heavy.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from licite.commands.root import cli

__all__ = ["cli", "main"]


def main() -> None:
    """`licite …`: run the command line (its exit status is the command's)."""
    paused = gc.isenabled()
    gc.disable()
    from licite.commands import root

    root.collector_paused = paused
    root.main()


def __getattr__(name: str) -> Any:
    if name == "cli":
        from licite.commands.root import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
