"""Shared helpers of the ledger tests: real SQLite files and real PostgreSQL schemas.

PostgreSQL tests skip, with the reason, when the server is unreachable, and
fail instead when CI=true. Each PostgreSQL test gets a schema of its own
(dropped afterwards), so parallel or previous runs never collide.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from click.testing import CliRunner, Result

from licite.commands import cli
from licite.ledger import Ledger

BACKENDS = ("sqlite", "postgresql")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_base() -> str:
    """The server's URL, or skip (fail under CI) when it cannot be reached."""
    url = os.environ.get("LICITE_TEST_POSTGRES_URL", DEFAULT_PG)
    try:
        with psycopg.connect(url, connect_timeout=3):
            pass
    except psycopg.Error as error:
        reason = f"PostgreSQL unreachable at {url}: {str(error).strip().splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@contextmanager
def postgres_schema() -> Iterator[str]:
    base = postgres_base()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def store_url(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'ledger.db'}"
    else:
        with postgres_schema() as url:
            yield url


def environ(url: str, directory: Path) -> dict[str, str]:
    """The configuration a test's ledger runs with: its store, and keys in its own directory."""
    return {"LICITE_DATABASE_URL": url, "LICITE_KEY_DIR": str(directory / "keys")}


def open_ledger(url: str, directory: Path, **options: Any) -> Ledger:
    return Ledger.open(url, environ=environ(url, directory), **options)


def raw(url: str, *statements: str) -> list[tuple[Any, ...]]:
    """Run SQL on the store directly, behind the ledger's back (tampering tests)."""
    rows: list[tuple[Any, ...]] = []
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url[len("sqlite:///") :], isolation_level=None)
        try:
            for statement in statements:
                rows = connection.execute(statement).fetchall()
        finally:
            connection.close()
        return rows
    with psycopg.connect(url, autocommit=True) as pg:
        for statement in statements:
            cursor = pg.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
    return rows


def write_lines(path: Path, items: Iterable[Mapping[str, Any] | str]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write((item if isinstance(item, str) else json.dumps(item)) + "\n")
    return path


def run(args: list[str], env: Mapping[str, str]) -> Result:
    """The `licite` command in-process, with this configuration."""
    runner = CliRunner()
    return runner.invoke(cli, args, env=dict(env), catch_exceptions=False)


PERSON = {
    "type": "person",
    "id": "p1",
    "kind": "consumer",
    "email": " Jean.Dupont@Example.FR ",
    "phone": "06 12 34 56 78",
    "postal_code": "75011",
}


def person_line(person_id: str, **fields: Any) -> dict[str, Any]:
    return {**PERSON, "id": person_id, **fields}


def event_line(person_id: str, at: str, type_: str, **fields: Any) -> dict[str, Any]:
    return {"person": person_id, "at": at, "type": type_, **fields}
