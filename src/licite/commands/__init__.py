"""The command line, one wing: every `licite …` command lives in this package.

Commands call into the engine, the ledger, the scrub and the service; nothing
there imports back from here (tests/test_edges.py walks the imports to keep it so).
"""

from licite.commands.root import cli, main

__all__ = ["cli", "main"]
