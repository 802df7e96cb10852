"""A cold single decision: `licite decide CASE --json` in a new process, as a CRM pays it.

Run: .venv/bin/python bench/cold_start.py [--runs N] [--case FILE ...] [--licite PATH ...]

Each round runs, back to back and in a new process each, the baselines
`python -c pass`, `python -c "import yaml"` (YAML is read by any decision) and the
libraries' floor (click, yaml and pydantic's BaseModel imported, nothing of licite), then
`licite decide CASE --json` for each case (an email case, and a phone call, which
reads the holiday calendars) through each `licite` script given (default: this
checkout's; give another checkout's, e.g. /work/main/.venv/bin/licite, to compare
side by side). Then `python -X importtime` of the first decision, once per script,
says where the import time goes. Figures are medians over the rounds; the ratios to
the baselines are what to compare across machines. Each command's CPU time (user +
system, from the kernel's accounting of the child) is shown beside its wall time: on a
machine shared with other work, the wall time includes waiting for a core, the CPU
time mostly does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
LICITE = Path(sys.executable).with_name("licite")
FLOOR = "import click, yaml; from pydantic import BaseModel"
"""What the libraries a decision must use cost to import, before any licite code."""
EXAMPLES = HERE / "src/licite/examples"
CASES = [EXAMPLES / "email-consumer-consent.yaml", EXAMPLES / "phone-opt-in-2026.yaml"]


def commands(cases: list[Path], scripts: list[Path]) -> dict[str, list[str]]:
    timed = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import yaml"': [sys.executable, "-c", "import yaml"],
        "python -c <the libraries' floor>": [sys.executable, "-c", FLOOR],
    }
    for script in scripts:
        for case in cases:
            label = f"{_short(script)} decide {case.stem}"
            timed[label] = [str(script), "decide", str(case), "--json"]
    return timed


def _short(script: Path) -> str:
    """A script's checkout, by the folder that holds its .venv."""
    return script.resolve().parent.parent.parent.name if ".venv" in script.parts else str(script)


def once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run in a new process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=_env())
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise subprocess.CalledProcessError(status, argv)
    return wall, usage.ru_utime + usage.ru_stime


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}


def import_top(script: Path, case: Path, top: int) -> list[tuple[str, float]]:
    """The top-level packages by cumulative import time (ms), from `-X importtime`."""
    python = script.with_name("python")
    done = subprocess.run(
        [str(python), "-X", "importtime", str(script), "decide", str(case), "--json"],
        check=True,
        capture_output=True,
        text=True,
        env=_env(),
    )
    spent: dict[str, float] = {}
    for line in done.stderr.splitlines():
        fields = line.split("|")
        if len(fields) != 3 or not fields[1].strip().isdigit():
            continue
        name = fields[2][1:]
        if name.startswith(" "):  # imported by another module: counted in its parent
            continue
        root = name if name.startswith("licite") else name.split(".")[0]
        spent[root] = spent.get(root, 0.0) + int(fields[1]) / 1000
    return sorted(spent.items(), key=lambda item: -item[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--case", type=Path, action="append", help="(default: two examples)")
    parser.add_argument("--licite", type=Path, action="append", help="(default: this one)")
    args = parser.parse_args()
    cases, scripts = args.case or CASES, args.licite or [LICITE]
    timed = commands(cases, scripts)
    for argv in timed.values():  # warm the file cache and the bytecode
        once(argv)
    seconds: dict[str, list[float]] = {name: [] for name in timed}
    cpu: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(args.runs):
        for name, argv in timed.items():
            wall, used = once(argv)
            seconds[name].append(wall)
            cpu[name].append(used)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    bases = list(medians.values())[:3]
    floor_cpu = list(cpu_medians.values())[2]
    width = max(map(len, seconds))
    print(
        f"{'command':<{width}} {'median s':>9} {'range s':>13}"
        f" {'× pass':>7} {'× yaml':>7} {'× floor':>8} {'CPU s':>6} {'CPU × floor':>11}"
    )
    for name, values in seconds.items():
        spread = f"{min(values):.3f}–{max(values):.3f}"
        ratios = " ".join(f"{medians[name] / base:>7.2f}" for base in bases)
        print(
            f"{name:<{width}} {medians[name]:>9.3f} {spread:>13} {ratios}"
            f" {cpu_medians[name]:>6.3f} {cpu_medians[name] / floor_cpu:>11.2f}"
        )
    print(f"({args.runs} rounds)")
    for script in scripts:
        print(f"\n{_short(script)}: cumulative import time, one `-X importtime` run, ms:")
        for name, ms in import_top(script, cases[0], 12):
            print(f"  {name:<40} {ms:7.1f}")


if __name__ == "__main__":
    main()
