"""Retention benchmark (issue 20): people decided a second by `licite retention run`, and
the cost of its erasures, SQLite and PostgreSQL.

    .venv/bin/python bench/retention.py --people 100000

For each store it imports a generated ledger (`licite.retention.sample`: the retailer of
`licite.synthetic`, re-scraped prospects, a political sender's contacts), then times
1. the baseline, in the same process: the first `--baseline` people decided one at a time
   through `decide_person` (five statements an answer, the path of `licite decide
   --person`), then the same people a page at a time (`Plan.verdicts_of`: the page read
   by `histories_as_of`, each answer by the same engine); the ratio is the speed-up;
2. a dry run (`run_retention(dry_run=True)`): every person's `retain` decision for every
   sender that holds them, a page at a time, nothing written: people decided/s (and again
   with `--workers N` processes deciding);
3. the run itself on the same ledger: the same decisions plus each erasure (one journal
   commit for 200, each with its record); the erasure cost is the difference, per erasure.
Target (issue 20): ≥ 20 000 people decided a second.

`--profile FILE`: cProfile of one more dry run (SQLite only), written to FILE.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from ledger import postgres_url, sqlite_url
from licite.ledger import Ledger, import_file
from licite.moments import parse_moment
from licite.retention import Plan, run_retention
from licite.retention.sample import AT, POLITICAL, write_ledger_file
from licite.service.campaigns import add_campaign


def baseline(ledger: Ledger, at: datetime, count: int) -> dict[str, float]:
    """One at a time, then a page at a time, on the same first `count` people."""
    plan = Plan(ledger, at)
    pages: list[list[tuple[str, tuple[str, ...]]]] = []
    for page in plan.pages():
        pages.append(page[: count - sum(map(len, pages))])
        if sum(map(len, pages)) >= count:
            break
    people = [item for page in pages for item in page]
    started = time.perf_counter()
    alone = [plan.verdict(person, held) for person, held in people]
    one_by_one = time.perf_counter() - started
    started = time.perf_counter()
    paged = [v for page in pages for v in plan.verdicts_of(page)]
    by_page = time.perf_counter() - started
    assert paged == alone
    return {
        f"decided/s one at a time ({len(people)})": len(people) / one_by_one,
        f"decided/s a page at a time ({len(people)})": len(people) / by_page,
        "speed-up (page / one at a time)": one_by_one / by_page,
    }


def measure(
    url: str, directory: Path, source: Path, workers: int, count: int, profile: str | None
) -> dict[str, float]:
    directory.mkdir(parents=True, exist_ok=True)
    env = {"LICITE_KEY_DIR": str(directory / "keys")}
    at = parse_moment(AT)
    with Ledger.open(url, environ=env) as ledger:
        started = time.perf_counter()
        import_file(ledger, source)
        add_campaign(ledger, POLITICAL)
        imported = time.perf_counter() - started
        figures = {"import s": imported, **baseline(ledger, at, count)}
        dry = run_retention(ledger, at, dry_run=True)
        if profile:  # another dry run, its figures not kept: a profiler slows what it sees
            profiler = cProfile.Profile()
            profiler.runcall(run_retention, ledger, at, dry_run=True)
            pstats.Stats(profiler).dump_stats(profile)
        figures["people"] = float(dry.decided)
        figures["decided/s (dry run)"] = dry.decided / dry.seconds
        if workers > 1:
            shared = run_retention(ledger, at, dry_run=True, workers=workers, environ=env)
            figures[f"decided/s (dry run, {workers} workers)"] = shared.decided / shared.seconds
        done = run_retention(ledger, at)
    erased = len(done.erased)
    assert erased == len(dry.erased), (erased, len(dry.erased))
    per_erasure = (done.seconds - dry.seconds) / erased if erased else 0.0
    return {
        **figures,
        "erased": erased,
        "run s": done.seconds,
        "people/s (run, erasures included)": done.decided / done.seconds,
        "erasure ms": per_erasure * 1000,
        "erasures/s": 1 / per_erasure if per_erasure > 0 else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="also a dry run with N processes")
    parser.add_argument("--baseline", type=int, default=10_000, help="people of the baseline")
    parser.add_argument("--profile", default=None, help="cProfile of the SQLite dry run")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "LICITE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server URL; 'none' to skip",
    )
    args = parser.parse_args()
    found: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        source = write_ledger_file(directory / "people.jsonl", args.people)
        with sqlite_url(directory / "sqlite") as url:
            found["SQLite"] = measure(
                url, directory / "sqlite", source, args.workers, args.baseline, args.profile
            )
        if args.postgres != "none":
            with postgres_url(args.postgres) as url:
                found["PostgreSQL"] = measure(
                    url, directory / "postgresql", source, args.workers, args.baseline, None
                )
    names = list(found)
    print(f"{'':<48}" + "".join(f"{n:>14}" for n in names))
    for metric in next(iter(found.values())):
        cells = [f"{found[n][metric]:,.1f}" for n in names]
        print(f"{metric:<48}" + "".join(f"{c:>14}" for c in cells))


if __name__ == "__main__":
    main()
