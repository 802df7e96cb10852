"""API benchmark: decisions/s and latency of `licite serve`, load from a separate process.

    flock /work/bench.lock .venv/bin/python bench/api.py --seconds 10 --workers 2

For each store (SQLite file, PostgreSQL schema) it builds a ledger of synthetic
people (`licite.synthetic`), registers a campaign, creates a read key, first
measures the CPU one request costs with the application driven in-process (no
network, no client), then starts `licite serve --workers N` as its own process
and drives it with `wrk` (Debian's, C, a Lua script: bench/calls.lua, helpers in
bench/load.py shared with bench/person.py), each route for `--seconds` after a
warm-up of its own: `GET /healthz` (no key, no work: the baseline, what the HTTP
stack allows on the machine as it is, the load generator in the same cores),
`POST /v1/decide` (one case), `POST /v1/decide/batch` (`--batch` cases a request)
and `POST /v1/people/{id}/decide` (a ledger person, the registered campaign). Every
call is prepared before the run, in a file the Lua script reads.

It prints requests/s, decisions/s, p50/p99 latency and the CPU each party spent a
request during the run: the server's processes, the PostgreSQL backends serving
them (found by their application_name) and the load generator. Every answer is
checked: an answer that is not a 200, or a 200 whose body holds a problem (a batch
answers 200 with a problem for each case it could not decide), is counted and
printed as an error. `--generator httpx` drives the routes with the former asyncio
+ httpx generator instead (far more CPU a request on the client's side).

Targets (issue 17, 2-core machine): ≥ 1 500 single decisions/s at p99 < 20 ms;
≥ 50 000 decisions/s in batch; ≥ 1 000 ledger decisions/s at p99 < 30 ms on
PostgreSQL. The load generator shares the machine's cores with the server: what
it costs is taken from the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
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
from load import (  # bench/load.py
    ERRORS,
    Call,
    Parties,
    httpx_run,
    listener,
    server_env,
    wrk,
)

LICITE = Path(sys.executable).with_name("licite")
AT = "2026-11-02T11:00:00+01:00"
REQUEST = {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"}
APPLICATION = "licite_bench_api"
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
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=1, help="licite serve's (its default: 1)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--batch-connections", type=int, default=4, help="for the batch (~0.1 s a request)"
    )
    parser.add_argument("--threads", type=int, default=1, help="wrk's threads")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--generator", choices=("wrk", "httpx"), default="wrk")
    parser.add_argument("--routes", default="healthz,decide,batch,person")
    parser.add_argument("--in-process", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    if args.generator == "wrk" and shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed (Debian: apt-get install wrk); --generator httpx drives the"
            " routes without it, at a far higher CPU cost on the client's side"
        )
    routes = args.routes.split(",")
    docs = documents(args.people)
    single = [("/v1/decide", d) for d in docs]
    batches = [
        ("/v1/decide/batch", {"cases": docs[i : i + args.batch]})
        for i in range(0, len(docs) - args.batch + 1, args.batch)
    ]
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for kind in args.stores.split(","):
        with (
            tempfile.TemporaryDirectory() as temporary,
            store(kind, Path(temporary), args.postgres) as url,
        ):
            directory = Path(temporary)
            env = server_env(kind, url, directory, APPLICATION)
            url = env["LICITE_DATABASE_URL"]
            ids = ledger_lines(args.people, directory / "people.jsonl")
            with Ledger.open(url, environ=env) as ledger:
                import_file(ledger, directory / "people.jsonl")
                add_campaign(ledger, CAMPAIGN)
                key, _ = create_key(ledger, "read", "bench")
            person = [(f"/v1/people/{pid}/decide", {"campaign": "bench"}) for pid in ids]
            found: dict[str, dict[str, Any]] = {}
            prepared = {"decide": single, "batch": batches, "person": person}
            if args.in_process:
                for name, some in prepared.items():
                    if name not in routes:
                        continue
                    cpu = in_process(env, key, some, 50 if name == "batch" else 1000)
                    found[f"{name}_in_process"] = {"cpu_ms_per_request": cpu}
                    print(f"{kind:<11}{name:<8} in process: {cpu:.2f} ms CPU a request", flush=True)
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            scenarios: dict[str, tuple[list[Call], int]] = {
                "healthz": ([("/healthz", b"", {})], 0),
                "decide": (_calls(single, headers), 1),
                "batch": (_calls(batches, headers), args.batch),
                "person": (_calls(person, headers), 1),
            }
            with server(env, args.workers) as base:
                port = int(base.rsplit(":", 1)[1])
                parties = Parties(
                    listener(port), args.postgres if kind == "postgresql" else None, APPLICATION
                )

                for name in routes:
                    calls, per_request = scenarios[name]
                    connections = args.batch_connections if name == "batch" else args.connections
                    _run(args, base, parties, calls, args.warmup, connections)
                    before = parties.read()
                    row = _run(args, base, parties, calls, args.seconds, connections)
                    # Read once the server is idle again: it counts the CPU of the requests
                    # still in flight when wrk stopped (at most `connections` of them).
                    server_cpu, store_cpu = Parties.spent(before, parties.read())
                    n = max(row["requests"], 1)
                    seconds = row["duration_us"] / 1e6
                    row |= {
                        "requests_per_s": row["requests"] / seconds,
                        "decisions_per_s": row["requests"] * per_request / seconds,
                        "server_ms": server_cpu / n * 1000,
                        "store_ms": store_cpu / n * 1000,
                        "client_ms": row["client_cpu_s"] / n * 1000,
                        "load_avg_1m": os.getloadavg()[0],
                    }
                    found[name] = row
                    errors = {k: row[k] for k in ERRORS if row.get(k)}
                    print(
                        f"{kind:<11}{name:<8}{row['requests_per_s']:>8,.0f} req/s"
                        f"{row['decisions_per_s']:>9,.0f} decisions/s"
                        f"  p50 {row['p50_us'] / 1000:6.1f} ms  p99 {row['p99_us'] / 1000:6.1f} ms"
                        f"  CPU a request: server {row['server_ms']:.2f} ms,"
                        f" PostgreSQL {row['store_ms']:.2f} ms, client {row['client_ms']:.2f} ms"
                        f"  (load {row['load_avg_1m']:.2f})"
                        + (f"  ERRORS {errors}!" if errors else "  all 200, no problem"),
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
            }
        )
    )


def _run(
    args: argparse.Namespace,
    base: str,
    parties: Parties,
    calls: list[Call],
    seconds: float,
    connections: int,
) -> dict[str, Any]:
    if args.generator == "wrk":
        found = wrk(base, calls, seconds, connections, args.threads)
    else:
        found = httpx_run(base, calls, seconds, connections)
    _settle(parties)
    return found


def _settle(parties: Parties) -> None:
    """Wait until the server has answered the requests still in flight when the load
    stopped (its CPU still for 0.3 s), so none is counted in the next route's run."""
    last = sum(v for k, v in parties.read().items() if k > 0)
    for _ in range(200):
        time.sleep(0.3)
        now = sum(v for k, v in parties.read().items() if k > 0)
        if now - last < 0.02:
            return
        last = now
    raise SystemExit("the server did not settle after the load stopped")


def _calls(some: list[tuple[str, Any]], headers: dict[str, str]) -> list[Call]:
    """The prepared calls of a route: compact JSON bodies (no tab, no line break)."""
    return [
        (path, json.dumps(body, separators=(",", ":")).encode(), headers) for path, body in some
    ]


if __name__ == "__main__":
    main()
