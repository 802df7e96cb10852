"""Import then verify one file, in one fresh ledger: the pair of figures issue 13 holds
to within 10 % of the code before it.

    .venv/bin/python bench/import_verify.py [--persons 10000] [--postgres URL]

Run it in turn from two checkouts (before and after a change), several times each, and
compare the figures pair by pair: the machine's speed drifts too much for single runs.
The file is `bench/ledger.py`'s (same generator, same seed), written to a temporary
folder; the ledger is a SQLite file there, or the PostgreSQL database named (use a
schema of its own: `?options=-csearch_path%3Dmyschema`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ledger import write_file  # bench/ledger.py, beside this script (its folder is on the path)
from licite.ledger import Ledger, import_file, verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--events-per-person", type=int, default=10)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "events.jsonl"
        events = write_file(source, args.persons, args.events_per_person, seed=4)
        url = args.postgres or f"sqlite:///{folder / 'ledger.db'}"
        with Ledger.open(url, environ={"LICITE_KEY_DIR": str(folder / "keys")}) as ledger:
            started = time.perf_counter()
            import_file(ledger, source)
            imported = time.perf_counter() - started
            started = time.perf_counter()
            verify(ledger)
            verified = time.perf_counter() - started
    print(f"{events} events: import {imported:.2f} s, verify {verified:.2f} s")


if __name__ == "__main__":
    main()
