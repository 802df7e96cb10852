"""Load generators and CPU accounting shared by bench/person.py and bench/api.py.

`wrk` drives a server with Debian's `wrk` (C, a Lua script: bench/calls.lua), each request
a call prepared beforehand; `httpx_run` does the same with an asyncio + httpx generator in
its own process (far more CPU a request on the client's side). `Parties` reads from /proc
the CPU spent by the server's processes and by the PostgreSQL backends serving them (found
by their application_name).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

LUA = Path(__file__).with_name("calls.lua")
Call = tuple[str, bytes, dict[str, str]]  # path, body (b"": a GET), headers
TICK = os.sysconf("SC_CLK_TCK")
ERRORS = ("connect", "read", "write", "status", "timeout", "non_200", "problems")


# --- CPU of the parties, read from /proc --------------------------------------------------


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _backends(postgres: str, application: str) -> list[int]:
    with psycopg.connect(postgres, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (application,)
        ).fetchall()
    return [int(r[0]) for r in rows]


class Parties:
    """CPU seconds of the server's processes and of their PostgreSQL backends (those whose
    application_name is `application`; none when `postgres` is None)."""

    def __init__(self, server_pid: int, postgres: str | None, application: str = "") -> None:
        self.server_pid = server_pid
        self.postgres = postgres
        self.application = application

    def read(self) -> dict[int, float]:
        pids = _descendants(self.server_pid)
        backends = _backends(self.postgres, self.application) if self.postgres else []
        return {pid: _cpu_of(pid) for pid in pids} | {-pid: _cpu_of(pid) for pid in backends}

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> tuple[float, float]:
        server = sum(v - before.get(k, 0.0) for k, v in after.items() if k > 0)
        store_ = sum(v - before.get(k, 0.0) for k, v in after.items() if k < 0)
        return server, store_


def listener(port: int) -> int:
    """The pid of the `licite serve` listening on `port` (the parent of the workers)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in command and str(port).encode() in command:
                return int(entry.name)
    raise SystemExit("the server's process was not found")


# --- load generators ----------------------------------------------------------------------


def wrk(
    base: str, calls: list[Call], seconds: float, connections: int, threads: int
) -> dict[str, Any]:
    """One wrk run over `calls` (each sent once unless the run outlasts them)."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
        for path, body, headers in calls:
            method = "POST" if body else "GET"
            fields = "\x1f".join(f"{k}: {v}" for k, v in headers.items()) or "-"
            text = body.decode()
            if "\t" in text or "\n" in text:
                raise ValueError(f"{path}: a body for wrk holds a tab or a line break")
            out.write(f"{method}\t{path}\t{fields}\t{text}\n")
    try:
        command = [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", str(LUA), base, "--", out.name, str(threads),
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.unlink(out.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    found: dict[str, Any] = json.loads(line[len("RESULT ") :])
    found["client_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return found


async def _httpx(base: str, calls: list[Call], seconds: float, connections: int) -> list[float]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:

        async def worker(offset: int, until: float) -> None:
            index = offset
            while time.perf_counter() < until:
                path, body, headers = calls[index % len(calls)]
                index += connections
                started = time.perf_counter()
                if not body:
                    response = await client.get(path, headers=headers, timeout=60)
                else:
                    response = await client.post(path, content=body, headers=headers, timeout=60)
                if response.status_code != 200 or '"problem"' in response.text:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
                latencies.append(time.perf_counter() - started)

        until = time.perf_counter() + seconds
        await asyncio.gather(*(worker(i, until) for i in range(connections)))
    return latencies


def _generate(args: tuple[str, list[Call], float, int]) -> tuple[list[float], float]:
    started = time.process_time()
    latencies = asyncio.run(_httpx(*args))
    return latencies, time.process_time() - started


def httpx_run(base: str, calls: list[Call], seconds: float, connections: int) -> dict[str, Any]:
    """One run of the asyncio + httpx generator, in a process of its own; it stops at the
    first answer that is not a 200 without a problem."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        latencies, cpu = pool.apply(_generate, ((base, calls, seconds, connections),))
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "duration_us": int(seconds * 1e6),
        "p50_us": int(statistics.median(ordered) * 1e6),
        "p99_us": int(ordered[int(len(ordered) * 0.99) - 1] * 1e6),
        "status": 0,
        "non_200": 0,
        "problems": 0,
        "wrapped": 0,
        "client_cpu_s": cpu,
    }


def server_env(
    kind: str, url: str, directory: Path, application: str, **extra: str
) -> dict[str, str]:
    """The environment of a benchmark's `licite serve` on a ledger at `url` in `directory`
    (quiet logs; PostgreSQL backends named `application`, so their CPU can be read)."""
    if kind == "postgresql":
        url += f"&application_name={application}"
    return {
        "LICITE_DATABASE_URL": url,
        "LICITE_KEY_DIR": str(directory / "keys"),
        "LICITE_SCRUB_DIR": str(directory / "scrub"),
        **extra,
        "LICITE_LOG_LEVEL": "warning",
    }
