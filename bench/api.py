"""API benchmark: decisions/s and latency of `licite serve`, load from a separate process.

    .venv/bin/python bench/api.py --seconds 10 --workers 2 --connections 16

For each store (SQLite file, PostgreSQL schema) it builds a ledger of synthetic
people (`licite.synthetic`), registers a campaign, creates a read key, starts
`licite serve --workers N` as its own process, then a load generator in another
process (asyncio + httpx, keep-alive connections) sends, each for `--seconds`
after a warm-up: `POST /v1/decide` (one case), `POST /v1/decide/batch` (`--batch`
cases a request) and `POST /v1/people/{id}/decide` (a ledger person, the
registered campaign), after `GET /healthz` (no key, no work: the baseline, what
the HTTP stack and the load generator alone allow on the machine as it is). It
prints requests/s, decisions/s and p50/p99 latency, and first, for each route, the
CPU one request costs when the application is driven in-process.

Targets (issue 17, 2-core machine, two workers): ≥ 1 500 single decisions/s at
p99 < 20 ms; ≥ 50 000 decisions/s in batch; ≥ 1 000 ledger decisions/s at
p99 < 30 ms on PostgreSQL. The load generator shares the machine's cores with
the server: what it costs is taken from the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from licite.ledger import Ledger, import_file
from licite.service.campaigns import add_campaign
from licite.service.keys import create_key
from licite.synthetic import population

LICITE = Path(sys.executable).with_name("licite")
AT = "2026-11-02T11:00:00+01:00"
REQUEST = {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"}
CAMPAIGN = {"id": "bench", "at": AT, "sender": {"id": "shop"}, "request": REQUEST}


def documents(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "at": AT,
            "sender": {"id": "shop"},
            "request": REQUEST,
            "person": p.person(),
            "history": p.history,
        }
        for p in population(count, seed=7)
    ]


def ledger_lines(count: int, path: Path) -> list[str]:
    ids = []
    with path.open("w") as out:
        for person in population(count, seed=7):
            ids.append(person.id)
            out.write(json.dumps({"type": "person", "id": person.id, **person.person()}) + "\n")
            for event in person.history:
                out.write(json.dumps({"person": person.id, **event}) + "\n")
    return ids


@contextmanager
def store(kind: str, directory: Path, postgres: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'ledger.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgres, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(env: dict[str, str], workers: int) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(LICITE), "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


async def _load(
    base: str, key: str, calls: list[tuple[str, Any]], seconds: float, connections: int
) -> list[float]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def worker(offset: int, until: float, keep: bool) -> None:
            index = offset
            while time.perf_counter() < until:
                path, body = calls[index % len(calls)]
                index += connections
                started = time.perf_counter()
                if body is None:
                    response = await client.get(path, timeout=60)
                else:
                    response = await client.post(path, json=body, timeout=60)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
                if keep:
                    latencies.append(time.perf_counter() - started)

        for seconds_, keep in ((min(2.0, seconds), False), (seconds, True)):
            until = time.perf_counter() + seconds_
            await asyncio.gather(*(worker(i, until, keep) for i in range(connections)))
    return latencies


def _generate(args: tuple[str, str, list[tuple[str, Any]], float, int]) -> list[float]:
    """The load generator's process."""
    return asyncio.run(_load(*args))


def measure(
    base: str, key: str, calls: list[tuple[str, Any]], seconds: float, connections: int
) -> list[float]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_generate, ((base, key, calls, seconds, connections),))


def in_process(env: dict[str, str], key: str, calls: list[tuple[str, Any]], count: int) -> float:
    """Milliseconds of one process's CPU a request, the application driven directly (no
    network, no client, no scheduler between them): the ceiling a core can reach."""
    from licite.service import Settings, create_app

    app = create_app(Settings.from_environ(env))
    headers = [(b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json")]
    bodies = [(path, json.dumps(body).encode()) for path, body in calls[:count]]

    async def call(path: str, body: bytes) -> None:
        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
            "http_version": "1.1",
            "scheme": "http",
            "server": ("bench", 80),
            "client": ("bench", 1),
            "root_path": "",
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise SystemExit(f"{path}: {status}")

    async def run() -> float:
        for path, body in bodies[:20]:
            await call(path, body)
        started = time.process_time()
        for path, body in bodies:
            await call(path, body)
        return (time.process_time() - started) / len(bodies) * 1000

    return asyncio.run(run())


def summary(latencies: list[float], seconds: float, per_request: int) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests_per_s": len(ordered) / seconds,  # healthz: the baseline, no decision
        "decisions_per_s": len(ordered) * per_request / seconds,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "requests": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "LICITE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    docs = documents(args.people)
    single = [("/v1/decide", d) for d in docs]
    batches = [
        ("/v1/decide/batch", {"cases": docs[i : i + args.batch]})
        for i in range(0, len(docs) - args.batch + 1, args.batch)
    ]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for kind in args.stores.split(","):
        with (
            tempfile.TemporaryDirectory() as temporary,
            store(kind, Path(temporary), args.postgres) as url,
        ):
            directory = Path(temporary)
            env = {
                "LICITE_DATABASE_URL": url,
                "LICITE_KEY_DIR": str(directory / "keys"),
                "LICITE_SCRUB_DIR": str(directory / "scrub"),
            }
            ids = ledger_lines(args.people, directory / "people.jsonl")
            with Ledger.open(url, environ=env) as ledger:
                import_file(ledger, directory / "people.jsonl")
                add_campaign(ledger, CAMPAIGN)
                key, _ = create_key(ledger, "read", "bench")
            person = [(f"/v1/people/{pid}/decide", {"campaign": "bench"}) for pid in ids]
            found: dict[str, dict[str, float]] = {}
            for name, calls in (("decide", single), ("batch", batches), ("person", person)):
                cpu = in_process(env, key, calls, 50 if name == "batch" else 1000)
                found[f"{name}_in_process"] = {"cpu_ms_per_request": cpu}
                print(f"{kind:<11}{name:<8} in process: {cpu:.2f} ms CPU a request", flush=True)
            scenarios: list[tuple[str, list[tuple[str, Any]], int]] = [
                ("healthz", [("/healthz", None)], 0),
                ("decide", list(single), 1),
                ("batch", list(batches), args.batch),
                ("person", list(person), 1),
            ]
            with server(env, args.workers) as base:
                for name, calls, per_request in scenarios:
                    latencies = measure(base, key, calls, args.seconds, args.connections)
                    found[name] = summary(latencies, args.seconds, per_request)
                    row = found[name]
                    print(
                        f"{kind:<11}{name:<8}{row['requests_per_s']:>10,.0f} req/s"
                        f"{row['decisions_per_s']:>12,.0f} decisions/s"
                        f"  p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms",
                        flush=True,
                    )
            results[kind] = found
    print(
        json.dumps(
            {
                "args": vars(args),
                "cores": os.cpu_count(),
                "load_avg": os.getloadavg(),
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
