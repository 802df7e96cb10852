"""Where a scrub spends its time: each DuckDB statement over a tenth of a second.

Run: .venv/bin/python bench/scrub_stages.py /tmp/bench-data/c10000000-e20000000-b5000000

The folder is one that `bench/scrub.py` built (ledger, list, opposition list,
campaign). The scrub runs as `licite scrub` would, its DuckDB connection wrapped
so that every statement is timed; stages and statements are printed as they end.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

import licite.scrub.run as run


class Timed:
    """A DuckDB connection whose slow statements are printed with their duration."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, query: str, *args: Any) -> duckdb.DuckDBPyConnection:
        started = time.perf_counter()
        result = self.con.execute(query, *args)
        elapsed = time.perf_counter() - started
        if elapsed > 0.1:
            print(f"  {elapsed:7.2f} s  {' '.join(query.split())[:80]}")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def stage(name: str) -> None:
    work = getattr(run, name)

    def timed(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = work(Timed(con), *args, **kwargs)
        print(f"{name}: {time.perf_counter() - started:.2f} s")
        return result

    setattr(run, name, timed)


def main() -> None:
    folder = Path(sys.argv[1])
    os.environ["LICITE_KEY_DIR"] = str(folder / "keys")
    for name in ("read_contacts", "match_people", "gather_events", "decide_rows", "write_csvs"):
        stage(name)
    started = time.perf_counter()
    run.scrub(
        folder / "contacts.csv",
        folder / "campaign.json",
        folder / "scrub-out",
        database_url=f"sqlite:///{folder / 'ledger.db'}",
        overwrite=True,
    )
    print(f"total: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
