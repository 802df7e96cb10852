"""The scrub of one list by two source trees, run in turn, to compare their times.

Run: .venv/bin/python bench/scrub_versions.py --data /tmp/bench-lists/c200000-e400000-b100000 \
         --before /tmp/main-src/src --after src --pairs 5

`--data` is a folder `bench/scrub.py` built (contacts.csv, campaign.json, ledger.db,
keys). Each pair runs the scrub in a fresh process with `--before`'s `licite` first
on PYTHONPATH, then with `--after`'s, in turn, so that the machine's drift falls on
both alike; it prints each time, the medians and their ratio.
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

RUN = """
import sys, os
from pathlib import Path
from licite.scrub.run import scrub
folder = Path(sys.argv[1])
scrub(folder / "contacts.csv", folder / "campaign.json", Path(sys.argv[2]),
      database_url="sqlite:///" + str(folder / "ledger.db"))
"""


def once(src: Path, data: Path) -> float:
    out = data.parent / f"versions-out-{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(src.resolve()), "LICITE_KEY_DIR": str(data / "keys")}
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", RUN, str(data), str(out)], env=env, check=True)
    elapsed = time.monotonic() - started
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    before: list[float] = []
    after: list[float] = []
    for pair in range(args.pairs):
        before.append(once(args.before, args.data))
        after.append(once(args.after, args.data))
        print(f"pair {pair + 1}: before {before[-1]:.2f} s, after {after[-1]:.2f} s", flush=True)
    b, a = statistics.median(before), statistics.median(after)
    print(f"median before {b:.2f} s ({min(before):.2f}–{max(before):.2f})")
    print(f"median after  {a:.2f} s ({min(after):.2f}–{max(after):.2f})")
    print(f"ratio after/before {a / b:.3f}")


if __name__ == "__main__":
    main()
