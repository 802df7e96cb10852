"""Shared helpers of the service tests: a real ledger, real keys, the real application.

`Service` holds an application on a SQLite file (or a PostgreSQL schema) and
one key of each scope, created the way `licite keys create` makes them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from licite.ledger import Ledger
from licite.service import Settings, create_app
from licite.service.keys import create_key
from licite.service.logs import configure
from tests.test_ledger_support import environ


@dataclass
class Service:
    client: TestClient
    keys: dict[str, str]
    url: str
    directory: Path
    logs: io.StringIO = field(default_factory=io.StringIO)

    def headers(self, scope: str = "admin", **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}", **more}

    def ledger(self) -> Ledger:
        return Ledger.open(self.url, environ=environ(self.url, self.directory))

    def post(self, path: str, body: Any, scope: str = "admin", **headers: str) -> Any:
        return self.client.post(path, json=body, headers=self.headers(scope, **headers))


@contextmanager
def service(url: str, directory: Path, **settings: Any) -> Iterator[Service]:
    env = environ(url, directory)
    with Ledger.open(url, environ=env) as ledger:
        keys = {scope: create_key(ledger, scope, f"test {scope}")[0] for scope in SCOPES}
    app = create_app(
        Settings(
            database_url=url,
            environ=env,
            scrub_dir=directory / "scrub",
            **settings,
        )
    )
    logs = io.StringIO()
    configure("info", logs)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Service(client, keys, url, directory, logs)


SCOPES = ("admin", "write", "read")
