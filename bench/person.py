"""Person's side benchmark (issue 18): one-click unsubscribe POSTs and STOP webhooks a second.

    .venv/bin/python bench/person.py --seconds 10 --workers 2 --connections 16

For each store (SQLite file, PostgreSQL schema) it builds a ledger of synthetic people
(`licite.synthetic`), starts `licite serve --workers N` as its own process, then a load
generator in another process (asyncio + httpx, keep-alive connections) sends, each for
`--seconds` after a warm-up: `GET /healthz` (the baseline: what the HTTP stack and the
load generator alone allow on the machine as it is), `POST /u/{link}` (RFC 8058 one-click:
each records an objection with its proof, one journal commit) and `POST /v1/sms/inbound`
(a signed STOP, a new message id each: the objection of every person with the number, and
the message's row). Target (issue 18): each ≥ 500 requests/s with the ledger on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx

from api import server, store  # bench/api.py, beside this script
from licite.ledger import Ledger, import_file
from licite.ledger.config import parse_url
from licite.service.links import links_key, make_link
from licite.synthetic import population

LICITE = Path(sys.executable).with_name("licite")
SECRET = "bench-sms-secret"
ONE_CLICK = b"List-Unsubscribe=One-Click"
Call = tuple[str, bytes, dict[str, str]]


async def _load(base: str, calls: list[Call], seconds: float, connections: int) -> list[float]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:

        async def worker(offset: int, until: float, keep: bool) -> None:
            index = offset
            while time.perf_counter() < until:
                path, body, headers = calls[index % len(calls)]
                index += connections
                started = time.perf_counter()
                if not body:
                    response = await client.get(path, timeout=60)
                else:
                    response = await client.post(path, content=body, headers=headers, timeout=60)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
                if keep:
                    latencies.append(time.perf_counter() - started)

        for span, keep in ((min(2.0, seconds), False), (seconds, True)):
            until = time.perf_counter() + span
            await asyncio.gather(*(worker(i, until, keep) for i in range(connections)))
    return latencies


def _generate(args: tuple[str, list[Call], float, int]) -> list[float]:
    return asyncio.run(_load(*args))


def measure(base: str, calls: list[Call], seconds: float, connections: int) -> list[float]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_generate, ((base, calls, seconds, connections),))


def in_process(env: dict[str, str], calls: list[Call], count: int) -> float:
    """Milliseconds of one process's CPU a request, the application driven directly (no
    network, no client, no scheduler between them); the store's own CPU is not counted."""
    from licite.service import Settings, create_app

    app = create_app(Settings.from_environ(env))

    async def call(path: str, body: bytes, headers: dict[str, str]) -> None:
        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "http_version": "1.1",
            "scheme": "http",
            "server": ("bench", 80),
            "client": ("192.0.2.7", 1),
            "root_path": "",
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status: list[int] = []

        async def receive() -> dict[str, object]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(int(str(message["status"])))

        await app(scope, receive, send)
        if status != [200]:
            raise SystemExit(f"{path}: {status}")

    async def run() -> float:
        for call_ in calls[:20]:
            await call(*call_)
        started = time.process_time()
        for call_ in calls[20 : 20 + count]:
            await call(*call_)
        return (time.process_time() - started) / count * 1000

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
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    people = list(population(args.people, seed=7))
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
                "LICITE_SMS_SECRET": SECRET,
                "LICITE_LOG_LEVEL": "warning",
            }
            lines = directory / "people.jsonl"
            with lines.open("w") as out:
                for p in people:
                    out.write(json.dumps({"type": "person", "id": p.id, **p.person()}) + "\n")
            with Ledger.open(url, environ=env) as ledger:
                import_file(ledger, lines)
            key = links_key(parse_url(url), env)
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            one_click: list[Call] = [
                (
                    f"/u/{make_link(key, p.id, 'shop', days=30).token}",
                    b"List-Unsubscribe=One-Click",
                    form,
                )
                for p in people
            ]
            phones = [p.person().get("phone") or f"+3361{i:07d}" for i, p in enumerate(people)]
            stops: list[Call] = []
            for i in range(200_000):
                body = json.dumps(
                    {"from": phones[i % len(phones)], "text": "STOP", "message_id": f"m{i}"}
                ).encode()
                mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                headers = {
                    "Content-Type": "application/json",
                    "X-Licite-Signature": f"sha256={mac}",
                }
                stops.append(("/v1/sms/inbound", body, headers))
            found: dict[str, dict[str, float]] = {}
            for name, calls in (("one-click", one_click[1000:]), ("stop-sms", stops[100_000:])):
                cpu = in_process(env, calls, 500)
                found[f"{name}_in_process"] = {"cpu_ms_per_request": cpu}
                print(f"{kind:<11}{name:<10} in process: {cpu:.2f} ms CPU a request", flush=True)
            baseline: list[Call] = [("/healthz", b"", {})]
            with server(env, args.workers) as base:
                for name, calls in (
                    ("healthz", baseline),
                    ("one-click", one_click),
                    ("stop-sms", stops),
                ):
                    ordered = sorted(measure(base, calls, args.seconds, args.connections))
                    row = {
                        "requests_per_s": len(ordered) / args.seconds,
                        "p50_ms": statistics.median(ordered) * 1000,
                        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
                    }
                    found[name] = row
                    print(
                        f"{kind:<11}{name:<10}{row['requests_per_s']:>8,.0f} req/s"
                        f"  p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms",
                        flush=True,
                    )
            results[kind] = found
    print(json.dumps({"args": vars(args), "load_avg": os.getloadavg(), "results": results}))


if __name__ == "__main__":
    main()
