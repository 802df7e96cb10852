"""In-process decisions per second on realistic facts, validation included.

Run: .venv/bin/python bench/engine.py [--people N] [--repeat R]

People come from `licite.synthetic` (customers, subscribers, bought leads,
scraped professionals, unsubscribed people, opposition-list numbers) with
requests spread over email, SMS, phone calls, post and `retain`. Figures are
medians over R repetitions. The baseline, timed in the same process on the
same documents, is a JSON round trip of each case document: the ratio
decision/baseline is what to compare across machines.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from licite.case import load_case
from licite.engine import decide
from licite.synthetic import population

REQUESTS: list[tuple[str, dict[str, Any]]] = [
    (
        "2026-11-02T11:00:00+01:00",
        {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"},
    ),
    (
        "2026-11-03T15:00:00+01:00",
        {"action": "contact", "channel": "phone_call", "purpose": "commercial", "offer": "shoes"},
    ),
    (
        "2025-03-12T11:00:00+01:00",
        {"action": "contact", "channel": "sms", "purpose": "commercial", "offer": "bags"},
    ),
    (
        "2026-11-02T11:00:00+01:00",
        {"action": "contact", "channel": "post", "purpose": "commercial", "offer": "shoes"},
    ),
    ("2026-11-02T11:00:00+01:00", {"action": "retain"}),
]


def documents(count: int) -> list[dict[str, Any]]:
    out = []
    for index, person in enumerate(population(count, seed=7)):
        at, request = REQUESTS[index % len(REQUESTS)]
        out.append(
            {
                "id": person.id,
                "at": at,
                "sender": {"id": "shop", "bloctel_checked_at": "2025-03-01"},
                "request": request,
                "person": person.person(),
                "history": person.history,
            }
        )
    return out


def rate(work: Callable[[Any], object], items: list[Any], repeat: int) -> float:
    """Items per second, median of `repeat` passes; results are dropped as a caller would."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            work(item)
        timings.append(time.perf_counter() - start)
    return len(items) / statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    docs = documents(args.people)
    cases = [load_case(d) for d in docs]
    events = sum(len(d["history"]) for d in docs) / len(docs)

    gc.freeze()  # the inputs live for the whole run: keep the collector off them

    baseline = rate(lambda d: json.loads(json.dumps(d)), docs, args.repeat)
    validate = rate(load_case, docs, args.repeat)
    engine = rate(decide, cases, args.repeat)
    full = rate(lambda d: decide(load_case(d)), docs, args.repeat)

    print(f"{len(docs)} cases, {events:.1f} events a person on average, median of {args.repeat}")
    print(f"{'measure':<34}{'per second':>12}{'vs baseline':>13}")
    for name, value in [
        ("baseline: JSON round trip", baseline),
        ("validation only (load_case)", validate),
        ("engine only (pre-validated)", engine),
        ("decision incl. validation", full),
    ]:
        print(f"{name:<34}{value:>12,.0f}{value / baseline:>13.3f}")


if __name__ == "__main__":
    main()
