"""An experiment (issue 14): the scrub reading the ledger's events from a columnar mirror.

Run: .venv/bin/python bench/scrub_mirror.py --data /tmp/bench-data/c1000000-e2000000-b500000 \
         --pairs 3

`--data` is a folder `bench/scrub.py` built (contacts.csv, campaign.json, ledger.db, keys).
The scrub reads a person's events from the SQLite ledger through DuckDB's scanner. The
mirror is a DuckDB file holding the columns the scrub reads of `events`
(`facts_sql.HISTORY_COLUMNS`), appended to by sequence number: the ledger never
updates or deletes an event row (an erasure destroys the person's key, not the row), so
`seq > max(seq)` is all a refresh must copy — but for a schema migration that rewrites a
column (v4 filled `tie`), after which the mirror is built again.

Measured, each in a fresh process:
- building the mirror from nothing;
- refreshing it when nothing is new, and after 1 % more events;
- the scrub reading `ledger.events` against the same scrub reading `mirror.events`
  (refresh included), alternated in pairs.
Nothing here changes licite: the scrub is run with its `events` reads pointed at the
mirror by a wrapper of the connection, for the experiment only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SETUP = """
import sys, time
from pathlib import Path
import duckdb
from licite.scrub.facts_sql import HISTORY_COLUMNS
from licite.scrub.duck import load_scanner
folder = Path(sys.argv[1])
mirror = folder / "events-mirror.duckdb"
COLUMNS = ", ".join(HISTORY_COLUMNS)

def refresh(con):
    # Copy the events past the mirror's last `seq`: found by SQLite's own index (DuckDB's
    # scanner reads the whole table whatever the filter), handed over as a CSV file.
    import csv, sqlite3
    source = sqlite3.connect(folder / "ledger.db")
    (top,) = source.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
    con.execute(f"ATTACH '{mirror}' AS mirror")
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'mirror'"
    ).fetchone()[0]
    if not exists:
        load_scanner(con, "sqlite_scanner")
        con.execute(f"ATTACH '{folder / 'ledger.db'}' AS src (TYPE sqlite, READ_ONLY)")
        con.execute(f"CREATE TABLE mirror.events AS SELECT {COLUMNS} FROM src.events")
        con.execute("DETACH src")
    else:
        last = con.execute("SELECT coalesce(max(seq), 0) FROM mirror.events").fetchone()[0]
        if top > last:
            staged = folder / "mirror-new.csv"
            with staged.open("w", newline="", encoding="utf-8") as out:
                csv.writer(out).writerows(
                    source.execute(f"SELECT {COLUMNS} FROM events WHERE seq > ?", (last,))
                )
            types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns()"
                                     " WHERE database_name = 'mirror'").fetchall())
            spec = ", ".join(f"'{c}': '{types[c]}'" for c in HISTORY_COLUMNS)
            con.execute(f"INSERT INTO mirror.events SELECT * FROM read_csv('{staged}',"
                        f" header = false, columns = {{{spec}}})")
            staged.unlink()
    con.execute("DETACH mirror")
"""

BUILD = (
    SETUP
    + """
con = duckdb.connect()
mirror.unlink(missing_ok=True)
refresh(con)
"""
)

REFRESH = (
    SETUP
    + """
con = duckdb.connect()
refresh(con)
"""
)

GROW = """
import sqlite3, sys
from pathlib import Path
folder = Path(sys.argv[1])
db = sqlite3.connect(folder / "ledger.db")
(n,) = db.execute("SELECT count(*) FROM events").fetchone()
(top,) = db.execute("SELECT max(seq) FROM events").fetchone()
cols = [r[1] for r in db.execute("PRAGMA table_info(events)")]
grown = {"seq": f"seq + {top}", "content_hash": "content_hash || '-grown'"}
picked = ", ".join(grown.get(c, c) for c in cols)
db.execute(f"INSERT INTO events ({', '.join(cols)}) SELECT {picked} FROM events"
           f" WHERE seq <= (SELECT min(seq) FROM events) + {n // 100}")
db.commit()
"""

SHRINK = """
import sqlite3, sys
from pathlib import Path
folder = Path(sys.argv[1])
db = sqlite3.connect(folder / "ledger.db")
db.execute(f"DELETE FROM events WHERE seq > {int(sys.argv[2])}")
db.commit()
"""

SCRUB = """
import sys
from pathlib import Path
import licite.scrub.run as run
folder, mirrored = Path(sys.argv[1]), sys.argv[3] == "mirror"
if mirrored:
    exec(compile(open(sys.argv[4]).read(), "setup", "exec"))  # the refresh, timed with the scrub
    import duckdb
    refresh(duckdb.connect())
    original = run.gather_events

    class Pointed:
        def __init__(self, con):
            self.con = con
        def execute(self, sql, *args):
            return self.con.execute(sql.replace("ledger.events e", "mirror.events e"), *args)
        def __getattr__(self, name):
            return getattr(self.con, name)

    def gather(con, *args, **kwargs):
        path = folder / "events-mirror.duckdb"
        con.execute(f"ATTACH IF NOT EXISTS '{path}' AS mirror (READ_ONLY)")
        return original(Pointed(con), *args, **kwargs)

    run.gather_events = gather
run.scrub(folder / "contacts.csv", folder / "campaign.json", Path(sys.argv[2]),
          database_url="sqlite:///" + str(folder / "ledger.db"))
"""


def _timed(code: str, *args: str, data: Path) -> float:
    env = {**os.environ, "LICITE_KEY_DIR": str(data / "keys")}
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", code, *args], env=env, check=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=3)
    options = parser.parse_args()
    data: Path = options.data
    setup = data / "mirror-setup.py"
    setup.write_text(SETUP, encoding="utf-8")
    out = data.parent / f"mirror-out-{os.getpid()}"

    build = _timed(BUILD, str(data), data=data)
    print(f"mirror built from nothing: {build:.2f} s")
    noop = [_timed(REFRESH, str(data), data=data) for _ in range(3)]
    print(f"refresh, nothing new: median {statistics.median(noop):.2f} s")

    import sqlite3

    with sqlite3.connect(data / "ledger.db") as db:
        (top,) = db.execute("SELECT max(seq) FROM events").fetchone()
    _timed(GROW, str(data), data=data)
    grown = _timed(REFRESH, str(data), data=data)
    print(f"refresh after 1 % more events: {grown:.2f} s")
    _timed(SHRINK, str(data), str(top), data=data)  # the ledger as it was
    _timed(BUILD, str(data), data=data)

    times: dict[str, list[float]] = {"ledger": [], "mirror": []}
    for _ in range(options.pairs):
        for how in ("ledger", "mirror"):
            shutil.rmtree(out, ignore_errors=True)
            times[how].append(_timed(SCRUB, str(data), str(out), how, str(setup), data=data))
            print(f"  scrub reading {how}.events: {times[how][-1]:.2f} s", flush=True)
    shutil.rmtree(out, ignore_errors=True)
    ratios = [m / s for s, m in zip(times["ledger"], times["mirror"], strict=True)]
    print(
        f"scrub from the ledger: median {statistics.median(times['ledger']):.2f} s; "
        f"from the mirror (refresh included): median {statistics.median(times['mirror']):.2f} s; "
        f"ratio mirror/ledger, pair by pair: median {statistics.median(ratios):.2f} "
        f"({min(ratios):.2f}–{max(ratios):.2f})"
    )


if __name__ == "__main__":
    main()
