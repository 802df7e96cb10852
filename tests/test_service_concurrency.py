"""Two `licite serve` processes on one store, appending events for the same people at once:
one chain that verifies, every event recorded exactly once; a retry under the same
Idempotency-Key, sent to both replicas at once, applied once and answered the same."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from licite.ledger import Ledger, verify
from licite.service.keys import create_key
from tests.test_ledger_support import BACKENDS, environ, store_url

LICITE = Path(sys.executable).with_name("licite")
PEOPLE = [f"c{n}" for n in range(5)]
EVENTS_A_PERSON = 24


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def replicas(env: dict[str, str], count: int = 2) -> Iterator[list[str]]:
    """`licite serve` processes on free ports; yields their base URLs once they answer."""
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = _free_port()
            processes.append(
                subprocess.Popen(
                    [str(LICITE), "serve", "--port", str(port)],
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _event(person: str, n: int) -> dict[str, Any]:
    kind = ("click", "open", "reply")[n % 3]
    return {
        "person": person,
        "at": f"2025-01-{1 + n % 28:02d}T{n % 24:02d}:00:00+01:00",
        "type": "interaction",
        "kind": kind,
        "sender": "shop",
    }


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with store_url(request.param, tmp_path) as url:
        yield url, environ(url, tmp_path)


def test_two_replicas_append_for_the_same_people_into_one_chain(
    store: tuple[str, dict[str, str]],
) -> None:
    url, env = store
    with Ledger.open(url, environ=env) as ledger:
        key, _ = create_key(ledger, "write", "replicas")
    headers = {"Authorization": f"Bearer {key}"}
    with replicas(env) as (first, second):
        people = [{"id": p, "kind": "consumer", "email": f"{p}@example.org"} for p in PEOPLE]
        # Both replicas record the same people at once: each is recorded once.
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(
                    lambda base: httpx.post(
                        f"{base}/v1/people", json={"people": people}, headers=headers, timeout=60
                    ),
                    [first, second, first, second],
                )
            )
        assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
        assert sum(a.json()["persons_added"] for a in answers) == len(PEOPLE)

        # Every event is sent twice, once to each replica, by concurrent clients, each
        # request carrying events of every person.
        requests = [[_event(p, n) for p in PEOPLE] for n in range(EVENTS_A_PERSON)]
        jobs = [(base, body) for body in requests for base in (first, second)]

        def send(job: tuple[str, list[dict[str, Any]]]) -> httpx.Response:
            base, events = job
            return httpx.post(
                f"{base}/v1/events", json={"events": events}, headers=headers, timeout=60
            )

        with ThreadPoolExecutor(8) as pool:
            sent = list(pool.map(send, jobs))
        assert {a.status_code for a in sent} == {200}, [
            a.text for a in sent if a.status_code != 200
        ]
        added = sum(a.json()["events_added"] for a in sent)
        duplicates = sum(a.json()["events_duplicate"] for a in sent)
        expected = len(PEOPLE) * EVENTS_A_PERSON
        assert added == expected
        assert duplicates == expected

        # A retry under one Idempotency-Key, to both replicas at once, then once more.
        retry = {"events": [_event("c0", 1000), _event("c1", 1001)]}
        retry["events"][0]["at"] = "2025-06-01T10:00:00+02:00"
        retry["events"][1]["at"] = "2025-06-01T10:00:01+02:00"
        keyed = {**headers, "Idempotency-Key": "order-42"}
        with ThreadPoolExecutor(2) as pool:
            racing = list(
                pool.map(
                    lambda base: httpx.post(
                        f"{base}/v1/events", json=retry, headers=keyed, timeout=60
                    ),
                    [first, second],
                )
            )
        again = httpx.post(f"{second}/v1/events", json=retry, headers=keyed, timeout=60)
        statuses = sorted(a.status_code for a in racing)
        assert statuses in ([200, 200], [200, 409]), [a.text for a in racing]
        firsts = [a for a in racing if a.status_code == 200]
        applied = [a for a in firsts if "idempotency-replayed" not in a.headers]
        assert len(applied) == 1
        assert applied[0].json()["events_added"] == 2
        assert again.status_code == 200
        assert again.headers["idempotency-replayed"] == "true"
        assert again.json() == applied[0].json()
        other = httpx.post(
            f"{first}/v1/events", json={"events": retry["events"][:1]}, headers=keyed, timeout=60
        )
        assert other.status_code == 409

    with Ledger.open(url, environ=env) as ledger:
        found = verify(ledger)
        assert found.events == expected + 2
        assert found.persons == len(PEOPLE)
        rows = ledger.store.read(
            "SELECT person_id, COUNT(*) FROM events GROUP BY person_id ORDER BY person_id"
        )
        assert rows == [(p, EVENTS_A_PERSON + (1 if p in ("c0", "c1") else 0)) for p in PEOPLE]
