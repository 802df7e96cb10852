"""Instructions a decision (validation included), counted by valgrind's callgrind.

Run: .venv/bin/python bench/instructions.py [--people N] [--passes P]

Wall-clock rates move with whatever else the machine runs; an instruction count does
not (the same total twice with the other core loaded). This runs the same workload as
`bench/engine.py` — `decide(load_case(d))` over synthetic people — under callgrind
twice, with 0 and with P passes, and prints the difference divided by the decisions
made: the setup (interpreter, imports, warm-up) cancels out. Compare two trees by
running it in each; quote it beside, never instead of, `bench/engine.py`'s rates.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_WORKLOAD = """
import sys
sys.path.insert(0, {bench!r})
from engine import documents
from licite.case import load_case
from licite.engine import decide
docs = documents({people})
for d in docs:
    decide(load_case(d))  # warm-up: caches, compiled conditions, lazy imports
for _ in range({passes}):
    for d in docs:
        decide(load_case(d))
"""


def count(people: int, passes: int, work: Path) -> int:
    """Instructions callgrind counts for the whole process with `passes` passes."""
    script = work / f"workload-{passes}.py"
    bench = str(Path(__file__).resolve().parent)
    script.write_text(_WORKLOAD.format(bench=bench, people=people, passes=passes))
    env = dict(os.environ, PYTHONHASHSEED="0", LICITE_NO_CACHE="1")
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={work / 'callgrind.out'}",
            sys.executable,
            str(script),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : ([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=600)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        setup = count(args.people, 0, work)
        total = count(args.people, args.passes, work)
    decisions = args.people * args.passes
    print(f"{(total - setup) / decisions:,.0f} instructions a decision ({decisions} decisions)")


if __name__ == "__main__":
    main()
