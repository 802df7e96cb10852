"""Ledger benchmark: import, verify and decide-from-ledger throughput, SQLite and PostgreSQL.

    .venv/bin/python bench/ledger.py --persons 40000 --events-per-person 10 --decide 5000

Targets (issue 3, on the 2-core reference machine): import ≥ 50 000 events/s
into SQLite, verify ≥ 500 000 events/s, decide ≥ 2 000 persons/s. The machine's
speed drifts by ±20 % within minutes: `--repeat N` measures N fresh ledgers (same
input) and prints the median of each figure, with the range.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from licite.case import load_campaign
from licite.ledger import Ledger, decide_person, import_file, verify

CAMPAIGN = load_campaign(
    {
        "id": "bench",
        "at": "2026-06-15T11:00:00+02:00",
        "sender": {"id": "shop"},
        "request": {"action": "contact", "channel": "email", "purpose": "commercial"},
    }
)
KINDS = ("click", "open", "reply", "purchase")


def write_file(path: Path, persons: int, per_person: int, seed: int) -> int:
    rng = random.Random(seed)
    events = 0
    with path.open("w") as out:
        for p in range(persons):
            pid = f"p{p}"
            person = {"type": "person", "id": pid, "kind": "consumer", "email": f"{pid}@ex.fr"}
            out.write(json.dumps(person) + "\n")
            day = rng.randrange(1, 28)
            lines: list[dict[str, object]] = [
                {
                    "at": f"2024-01-{day:02d}",
                    "type": "collected",
                    "method": "form",
                    "purpose": "commercial",
                    "informed": True,
                },
                {
                    "at": f"2024-01-{day:02d}T12:00:00+01:00",
                    "type": "consent",
                    "channel": "email",
                    "purpose": "commercial",
                    "mechanism": "checkbox",
                    "wording": "nl-v3",
                },
            ]
            for i in range(per_person - len(lines)):
                month = 2 + (i % 10)
                lines.append(
                    {
                        "at": f"2024-{month:02d}-{day:02d}T09:{i % 60:02d}:00+01:00",
                        "type": "interaction",
                        "kind": rng.choice(KINDS),
                    }
                )
            for line in lines[:per_person]:
                out.write(json.dumps({"person": pid, **line}) + "\n")
                events += 1
    return events


@contextmanager
def sqlite_url(directory: Path) -> Iterator[str]:
    yield f"sqlite:///{directory / 'bench.db'}"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def measure(
    url: str, directory: Path, source: Path, events: int, decide_n: int
) -> dict[str, float]:
    env = {"LICITE_KEY_DIR": str(directory / "keys")}
    directory.mkdir(parents=True, exist_ok=True)
    with Ledger.open(url, environ=env) as ledger:
        seconds = timed(lambda: import_file(ledger, source))
        results = {"import events/s": events / seconds}
        seconds = timed(lambda: verify(ledger))
        results["verify events/s"] = events / seconds
        ids = [f"p{i}" for i in range(decide_n)]
        seconds = timed(lambda: [decide_person(ledger, pid, CAMPAIGN) for pid in ids])
        results["decide persons/s"] = decide_n / seconds
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--events-per-person", type=int, default=10)
    parser.add_argument("--decide", type=int, default=5_000, help="persons decided")
    parser.add_argument("--repeat", type=int, default=1, help="fresh ledgers measured")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "LICITE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server URL; 'none' to skip",
    )
    args = parser.parse_args()
    runs: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        source = directory / "events.jsonl"
        events = write_file(source, args.persons, args.events_per_person, seed=4)
        decide_n = min(args.decide, args.persons)
        for run in range(args.repeat):
            here = directory / f"run{run}"
            with sqlite_url(here) as url:
                _add(runs, "SQLite", measure(url, here, source, events, decide_n))
            if args.postgres != "none":
                with postgres_url(args.postgres) as url:
                    _add(runs, "PostgreSQL", measure(url, here, source, events, decide_n))
    print(f"{args.persons} persons, {events} events, {decide_n} decisions", end="")
    print(f", median of {args.repeat} runs (range)" if args.repeat > 1 else "")
    names = list(runs)
    print(f"{'':<20}" + "".join(f"{n:>30}" for n in names))
    for metric in next(iter(runs.values())):
        cells = [_cell(runs[n][metric]) for n in names]
        print(f"{metric:<20}" + "".join(f"{c:>30}" for c in cells))


def _add(runs: dict[str, dict[str, list[float]]], store: str, found: dict[str, float]) -> None:
    for metric, value in found.items():
        runs.setdefault(store, {}).setdefault(metric, []).append(value)


def _cell(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:,.0f}"
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


if __name__ == "__main__":
    main()
