"""`GET /metrics`: request counts and latencies in the Prometheus text format.

Kept by each process (a worker, a replica): Prometheus scrapes each one and
sums. Labels are the route's template and the status, never a path or a body.
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = defaultdict(float)
        self._decisions: dict[str, int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[method, route, status] += 1
            counts = self._buckets.setdefault((method, route), [0] * (len(BUCKETS) + 1))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
            counts[-1] += 1
            self._sums[method, route] += seconds

    def decided(self, allowed: bool, count: int = 1) -> None:
        with self._lock:
            self._decisions["allowed" if allowed else "blocked"] += count

    def render(self) -> str:
        with self._lock:
            out = [
                "# HELP licite_http_requests_total HTTP requests answered.",
                "# TYPE licite_http_requests_total counter",
            ]
            for (method, route, status), n in sorted(self._requests.items()):
                out.append(
                    f'licite_http_requests_total{{method="{method}",route="{route}",'
                    f'status="{status}"}} {n}'
                )
            out += [
                "# HELP licite_http_request_seconds Time to answer a request.",
                "# TYPE licite_http_request_seconds histogram",
            ]
            for (method, route), counts in sorted(self._buckets.items()):
                labels = f'method="{method}",route="{route}"'
                for bound, n in zip(BUCKETS, counts, strict=False):
                    out.append(f'licite_http_request_seconds_bucket{{{labels},le="{bound}"}} {n}')
                out.append(f'licite_http_request_seconds_bucket{{{labels},le="+Inf"}} {counts[-1]}')
                out.append(
                    f"licite_http_request_seconds_sum{{{labels}}} {self._sums[method, route]}"
                )
                out.append(f"licite_http_request_seconds_count{{{labels}}} {counts[-1]}")
            out += [
                "# HELP licite_decisions_total Decisions answered, by outcome.",
                "# TYPE licite_decisions_total counter",
            ]
            for outcome, n in sorted(self._decisions.items()):
                out.append(f'licite_decisions_total{{outcome="{outcome}"}} {n}')
        return "\n".join(out) + "\n"
