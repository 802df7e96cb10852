"""Mail gateway benchmark (issue 19): messages a second through `licite gateway`, decided
from the ledger, and what each extra recipient costs.

    .venv/bin/python bench/gateway.py --seconds 8 --connections 4

For each store (SQLite file, PostgreSQL schema) it builds a ledger of synthetic people
with their histories (`licite.synthetic`: customers, subscribers, bought leads,
unsubscribed people…) and registers a commercial email campaign; starts a downstream
SMTP server that only counts what it receives (aiosmtpd, its own process) and
`licite gateway` (its own process); then `--connections` smtplib clients, each on one
kept-open connection, send for `--seconds` each: messages of 1 recipient straight to the
downstream server (the baseline: what the SMTP stack and the load generator alone allow
on the machine as it is), then through the gateway after a warm-up, messages of 1
recipient and of `--recipients` recipients, each drawn from the ledger's addresses (so some are
allowed and relayed with their own unsubscribe link, others refused with 550). Every
recipient is decided from the ledger and recorded. With each rate, the CPU the gateway's
process spent a message (its SMTP front end and its workers, read from /proc), which the
machine's other load moves much less than the rate. Target (issue 19): ≥ 300
single-recipient messages/s on this machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api import store  # bench/api.py, beside this script
from licite.gateway import GatewaySettings
from licite.ledger import Ledger, import_file
from licite.service.campaigns import add_campaign
from licite.synthetic import population

LICITE = Path(sys.executable).with_name("licite")
CAMPAIGN: dict[str, Any] = {
    "id": "bench-mail",
    "sender": {"id": "shop", "kind": "company"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "bikes"},
}
BODY = (
    "From: Shop <news@shop.example>\r\nSubject: Nouveaux velos\r\n"
    "X-Licite-Campaign: bench-mail\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nMessage-ID: <{n}@shop.example>\r\n\r\n"
    "Bonjour, nos velos arrivent.\r\nShop SAS. Pour vous desabonner : le lien ci-dessous.\r\n"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sink(port: int, ready: Any) -> None:
    import asyncio

    from aiosmtpd.smtp import SMTP

    class Count:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 2.0.0 counted"

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(Count()), "127.0.0.1", port)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measured(pid: int, run: Any) -> dict[str, float]:
    """`run()`'s figures, and the CPU the gateway's process spent a message meanwhile."""
    before = _cpu_seconds(pid)
    figures: dict[str, float] = run()
    spent = _cpu_seconds(pid) - before
    return {
        **figures,
        "gateway process CPU ms a message": round(spent / figures["messages"] * 1000, 3),
    }


@contextmanager
def gateway(env: dict[str, str]) -> Iterator[tuple[int, int, int]]:
    down = _free_port()
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=_sink, args=(down, ready), daemon=True)
    sink.start()
    ready.wait(60)
    port = _free_port()
    process = subprocess.Popen(
        [
            str(LICITE),
            "gateway",
            "--listen",
            f"127.0.0.1:{port}",
            "--upstream",
            f"127.0.0.1:{down}",
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the gateway did not start") from None
                time.sleep(0.3)
        yield port, down, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)
        sink.terminate()
        sink.join(30)


def _load(
    port: int, addresses: list[str], per_message: int, seconds: float, connections: int
) -> dict[str, float]:
    counts = {"messages": 0, "relayed": 0, "refused": 0, "errors": 0}
    lock = threading.Lock()
    start = threading.Barrier(connections + 1)
    until = [0.0]

    def client(index: int) -> None:
        rng = random.Random(index)
        mine = {"messages": 0, "relayed": 0, "refused": 0, "errors": 0}
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            smtp.ehlo()
            start.wait()
            n = index * 10_000_000
            while time.perf_counter() < until[0]:
                n += 1
                recipients = rng.sample(addresses, per_message)
                content = BODY.format(n=n).encode()
                try:
                    smtp.sendmail("news@shop.example", recipients, content)
                    mine["relayed"] += 1
                except smtplib.SMTPDataError as error:
                    mine["refused" if error.smtp_code == 550 else "errors"] += 1
                mine["messages"] += 1
        with lock:
            for name, value in mine.items():
                counts[name] += value

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    until[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {**counts, "seconds": elapsed, "per_second": counts["messages"] / elapsed}


def _in_process(
    url: str, env: dict[str, str], down: int, addresses: list[str], count: int = 400
) -> dict[str, float]:
    """The gateway's own cost, without its SMTP front end: `Gateway.handle` called in this
    process, one message after another, relaying to the downstream server."""
    from licite.gateway import Gateway

    settings = GatewaySettings.from_environ(f"127.0.0.1:{down}", env)
    rng = random.Random(3)
    with Ledger.open(url, environ=env) as ledger:
        gateway = Gateway(ledger, settings, env)
        out: dict[str, float] = {}
        for per_message in (1, 10):
            cpu, wall = time.process_time(), time.perf_counter()
            for n in range(count):
                recipients = rng.sample(addresses, per_message)
                content = BODY.format(n=f"solo{per_message}-{n}").encode()
                gateway.handle("news@shop.example", recipients, content)
            out[f"cpu ms, {per_message} recipient(s)"] = round(
                (time.process_time() - cpu) / count * 1000, 3
            )
            out[f"wall ms, {per_message} recipient(s)"] = round(
                (time.perf_counter() - wall) / count * 1000, 3
            )
        gateway.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LICITE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test"),
    )
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--recipients", type=int, default=10)
    parser.add_argument(
        "--workers", type=int, default=None, help="LICITE_GATEWAY_WORKERS (default: the store's)"
    )
    args = parser.parse_args()
    people = list(population(args.people, seed=7))
    addresses = [p.email for p in people if p.email]
    results: dict[str, Any] = {}
    for kind in args.stores.split(","):
        with (
            tempfile.TemporaryDirectory() as temporary,
            store(kind, Path(temporary), args.postgres) as url,
        ):
            directory = Path(temporary)
            env = {
                "LICITE_DATABASE_URL": url,
                "LICITE_KEY_DIR": str(directory / "keys"),
                "LICITE_LOG_LEVEL": "warning",
                "LICITE_PUBLIC_URL": "https://prefs.example",
            }
            if args.workers is not None:
                env["LICITE_GATEWAY_WORKERS"] = str(args.workers)
            lines = directory / "people.jsonl"
            with lines.open("w") as out:
                for p in people:
                    out.write(json.dumps({"type": "person", "id": p.id, **p.person()}) + "\n")
                for p in people:
                    for event in p.history:
                        out.write(json.dumps({"person": p.id, **event}, default=str) + "\n")
            with Ledger.open(url, environ=env) as ledger:
                import_file(ledger, lines)
                add_campaign(ledger, CAMPAIGN)
            with gateway(env) as (port, down, pid):
                direct = _load(down, addresses, 1, args.seconds, args.connections)
                _load(port, addresses, 1, args.warmup, args.connections)
                one = _measured(
                    pid, lambda: _load(port, addresses, 1, args.seconds, args.connections)
                )
                many = _measured(
                    pid,
                    lambda: _load(port, addresses, args.recipients, args.seconds, args.connections),
                )
                alone = _in_process(url, env, down, addresses)
            per_extra = (1 / many["per_second"] - 1 / one["per_second"]) / (args.recipients - 1)
            results[kind] = {
                "workers": GatewaySettings.from_environ("127.0.0.1:25", env).workers,
                "baseline: straight to the downstream server": direct,
                "single": one,
                f"{args.recipients} recipients": many,
                "ms per extra recipient": round(per_extra * 1000, 3),
                "in process, one message at a time": alone,
            }
            print(kind, json.dumps(results[kind], indent=2), flush=True)
    print("load average:", os.getloadavg())


if __name__ == "__main__":
    main()
