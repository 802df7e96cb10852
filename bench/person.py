"""Person's side benchmark (issue 18): one-click unsubscribe POSTs and STOP webhooks a second.

    flock /work/bench.lock .venv/bin/python bench/person.py --seconds 10 --workers 2

For each store (SQLite file, PostgreSQL schema) it builds a ledger of synthetic people
(`licite.synthetic`), first measures the CPU one request costs with the application driven
in-process (no network, no client), then starts `licite serve --workers N` as its own
process and drives it with `wrk` (Debian's, C, a Lua script: bench/calls.lua) for
`--seconds` a route after a warm-up of its own: `GET /healthz` (the baseline: what the HTTP
stack allows on the machine as it is, with the load generator in the same cores),
`POST /u/{link}` (RFC 8058 one-click: each request its own signed link, each records an
objection with its proof) and `POST /v1/sms/inbound` (each a signed STOP with a message id
never sent before: the objection of every person with the number, and the message's row).
Every call is prepared before the run, in a file the Lua script reads.

Beside requests/s and latency it reports the CPU each party spent during the run, per
request: the server's processes, the PostgreSQL backends serving them (found by their
application_name), and the load generator. `--generator httpx` drives the routes with the
former asyncio + httpx generator instead (far more CPU a request on the client's side).
`--profile ROUTE` (one-click or stop-sms) prints the in-process profile of that route.

Target (issue 18): each ≥ 500 requests/s with the ledger on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import hmac
import json
import os
import pstats
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api import server, store  # bench/api.py, beside this script
from licite.ledger import Ledger, import_file
from licite.ledger.config import parse_url
from licite.service.links import links_key, make_link
from licite.synthetic import SyntheticPerson as Person
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

SECRET = "bench-sms-secret"
APPLICATION = "licite_bench_person"
FORM = "application/x-www-form-urlencoded"


@contextmanager
def ledger(
    kind: str, postgres: str, people: int
) -> Iterator[tuple[dict[str, str], bytes, list[Person]]]:
    """A ledger of `people` synthetic people; its environment, links key and people."""
    persons = list(population(people, seed=7))
    with (
        tempfile.TemporaryDirectory() as temporary,
        store(kind, Path(temporary), postgres) as url,
    ):
        directory = Path(temporary)
        env = server_env(kind, url, directory, APPLICATION, LICITE_SMS_SECRET=SECRET)
        url = env["LICITE_DATABASE_URL"]
        lines = directory / "people.jsonl"
        with lines.open("w") as out:
            for p in persons:
                out.write(json.dumps({"type": "person", "id": p.id, **p.person()}) + "\n")
        with Ledger.open(url, environ=env) as opened:
            import_file(opened, lines)
        yield env, links_key(parse_url(url), env), persons


def one_click_calls(key: bytes, persons: list[Person], count: int, start: int = 0) -> list[Call]:
    """`count` one-click POSTs, each with a link of its own (a person, a campaign)."""
    headers = {"Content-Type": FORM}
    calls: list[Call] = []
    for n in range(start, start + count):
        person = persons[n % len(persons)]
        link = make_link(key, person.id, "shop", days=30, campaign=f"c{n // len(persons)}")
        calls.append((f"/u/{link.token}", b"List-Unsubscribe=One-Click", headers))
    return calls


def stop_calls(persons: list[Person], count: int, start: int = 0) -> list[Call]:
    """`count` signed STOP messages, each with a message id of its own."""
    phones = [p.person().get("phone") or f"+3361{i:07d}" for i, p in enumerate(persons)]
    calls: list[Call] = []
    for i in range(start, start + count):
        body = json.dumps(
            {"from": phones[i % len(phones)], "text": "STOP", "message_id": f"m{i}"}
        ).encode()
        mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Licite-Signature": f"sha256={mac}"}
        calls.append(("/v1/sms/inbound", body, headers))
    return calls


def in_process(
    env: dict[str, str], calls: list[Call], concurrency: int, profile: bool = False
) -> float:
    """Milliseconds of this process's CPU a request, the application driven directly (no
    network, no client), `concurrency` requests at a time; the store's CPU is not counted."""
    from licite.service import Settings, create_app

    profiles: list[cProfile.Profile] = []
    if profile:
        # The routes run in the thread pool's threads: one profiler in each.
        def start(*_: object) -> None:
            sys.setprofile(None)
            profiles.append(cProfile.Profile(time.thread_time))
            profiles[-1].enable()

        threading.setprofile(start)
        profiles.append(cProfile.Profile(time.thread_time))
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

    async def concurrently(some: list[Call]) -> None:
        # `concurrency` requests at a time, as a server's connections send them: the
        # routes that group their commits group them here too.
        pending = iter(some)

        async def one_at_a_time() -> None:
            for call_ in pending:
                await call(*call_)

        await asyncio.gather(*(one_at_a_time() for _ in range(concurrency)))

    async def run() -> float:
        await concurrently(calls[:20])
        started = time.process_time()
        if profiles:
            profiles[0].enable()
        await concurrently(calls[20:])
        spent = (time.process_time() - started) / (len(calls) - 20) * 1000
        if profiles:
            threading.setprofile(None)
            for one in profiles:
                one.disable()
            stats = pstats.Stats(*profiles)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(60)
        return spent

    return asyncio.run(run())


# --- main ---------------------------------------------------------------------------------


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
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk's threads")
    parser.add_argument("--rate", type=int, default=2_500, help="calls prepared a second")
    parser.add_argument("--generator", choices=("wrk", "httpx"), default="wrk")
    parser.add_argument("--routes", default="healthz,one-click,stop-sms")
    parser.add_argument("--profile", choices=("one-click", "stop-sms"), default=None)
    parser.add_argument("--in-process", type=int, default=500, help="requests, 0: none")
    parser.add_argument("--concurrency", type=int, default=16, help="in process")
    parser.add_argument("--in-process-only", action="store_true", help="no server, no load")
    args = parser.parse_args()
    if args.generator == "wrk" and shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed (Debian: apt-get install wrk); --generator httpx drives the"
            " routes without it, at a far higher CPU cost on the client's side"
        )
    routes = args.routes.split(",")
    results: dict[str, dict[str, dict[str, float]]] = {}
    for kind in args.stores.split(","):
        with ledger(kind, args.postgres, args.people) as (env, key, persons):
            found: dict[str, dict[str, float]] = {}
            # Disjoint calls for each use: no link or message id is sent twice.
            count = int(args.rate * args.seconds)
            warm = int(args.rate * args.warmup)
            prepared: dict[str, tuple[list[Call], list[Call]]] = {
                "healthz": ([("/healthz", b"", {})], [("/healthz", b"", {})]),
                "one-click": (
                    one_click_calls(key, persons, warm, 1_000_000),
                    one_click_calls(key, persons, count),
                ),
                "stop-sms": (stop_calls(persons, warm, 1_000_000), stop_calls(persons, count)),
            }
            if args.in_process:
                for name, start in (("one-click", 2_000_000), ("stop-sms", 2_000_000)):
                    if name not in routes:
                        continue
                    number = args.in_process + 20
                    sample = (
                        one_click_calls(key, persons, number, start)
                        if name == "one-click"
                        else stop_calls(persons, number, start)
                    )
                    cpu = in_process(env, sample, args.concurrency, args.profile == name)
                    found[f"{name}_in_process"] = {"cpu_ms_per_request": cpu}
                    print(
                        f"{kind:<11}{name:<10} in process: {cpu:.2f} ms CPU a request", flush=True
                    )
            if args.profile or args.in_process_only:
                continue
            with server(env, args.workers) as base:
                port = int(base.rsplit(":", 1)[1])
                server_pid = listener(port)
                parties = Parties(
                    server_pid, args.postgres if kind == "postgresql" else None, APPLICATION
                )
                for name in routes:
                    warm_calls, calls = prepared[name]

                    def run(calls: list[Call], seconds: float) -> dict[str, Any]:
                        if args.generator == "wrk":
                            return wrk(base, calls, seconds, args.connections, args.threads)
                        return httpx_run(base, calls, seconds, args.connections)

                    run(warm_calls, args.warmup)
                    time.sleep(0.5)  # the warm-up's last requests answered
                    before, kept = parties.read(), recorded(env)
                    row = run(calls, args.seconds)
                    server_cpu, store_cpu = Parties.spent(before, parties.read())
                    time.sleep(0.5)
                    row["recorded"] = {k: v - kept[k] for k, v in recorded(env).items()}
                    n = max(row["requests"], 1)
                    row |= {
                        "requests_per_s": row["requests"] / (row["duration_us"] / 1e6),
                        "server_ms": server_cpu / n * 1000,
                        "store_ms": store_cpu / n * 1000,
                        "client_ms": row["client_cpu_s"] / n * 1000,
                        "load_avg_1m": os.getloadavg()[0],
                    }
                    found[name] = row
                    flags = ""
                    errors = sum(row.get(k, 0) for k in ERRORS)
                    if errors:
                        flags += f"  {errors} errors!"
                    if name == "one-click" and row["recorded"]["objections"] < row["requests"]:
                        flags += f"  only {row['recorded']['objections']} objections recorded!"
                    if name == "stop-sms" and row["recorded"]["messages"] < row["requests"]:
                        flags += f"  only {row['recorded']['messages']} messages recorded!"
                    if row.get("wrapped") and len(calls) > 1:
                        flags += f"  calls reused {row['wrapped']}×"
                    print(
                        f"{kind:<11}{name:<10}{row['requests_per_s']:>8,.0f} req/s"
                        f"  p50 {row['p50_us'] / 1000:6.1f} ms  p99 {row['p99_us'] / 1000:6.1f} ms"
                        f"  CPU a request: server {row['server_ms']:.2f} ms,"
                        f" PostgreSQL {row['store_ms']:.2f} ms, client {row['client_ms']:.2f} ms"
                        f"  (load {row['load_avg_1m']:.2f}){flags}"
                        + (f"  ledger: {_added(row['recorded'])}" if name != "healthz" else ""),
                        flush=True,
                    )
            results[kind] = found
    print(json.dumps({"args": vars(args), "load_avg": os.getloadavg(), "results": results}))


def _added(counts: dict[str, int]) -> str:
    return ", ".join(f"+{count} {what}" for what, count in counts.items())


def recorded(env: dict[str, str]) -> dict[str, int]:
    """What the ledger holds: each answered request must have added its own."""
    with Ledger.open(env["LICITE_DATABASE_URL"], environ=env) as opened:
        ((objections,),) = opened.store.read(
            "SELECT count(*) FROM events WHERE type = 'objection' AND proof_form LIKE ?",
            ("/u %",),
        )
        ((messages,),) = opened.store.read("SELECT count(*) FROM sms_inbound")
    return {"objections": int(objections), "messages": int(messages)}


if __name__ == "__main__":
    main()
