"""DuckDB for batch work: one connection, licite's SQL macros, the ledger attached.

The macros make the SQL compute exactly what Python computes:
- `paris_add(us, days, months)` is `licite.moments.add_period` (local Paris
  calendar, day clamped, local time kept; an ambiguous autumn time is its
  first occurrence, as zoneinfo's fold=0 — ICU would take the second);
- `hmac_hex(value)` is the ledger's keyed hash, HMAC-SHA256 in hex, built from
  DuckDB's sha256 so that matching needs no Python per row.
The ledger's SQLite or PostgreSQL store is read through DuckDB's own scanner
extensions, shipped as Python packages so nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb

from licite.errors import LiciteError
from licite.i18n import Text

_BLOCK = 64  # SHA-256 block size, for HMAC's inner and outer pads

MACROS = (
    "CREATE OR REPLACE MACRO paris_local(us) AS"
    " timezone('Europe/Paris', make_timestamp(us)::TIMESTAMPTZ)",
    "CREATE OR REPLACE MACRO paris_instant(lt) AS CASE"
    " WHEN timezone('Europe/Paris', timezone('Europe/Paris', lt) - INTERVAL 1 HOUR) = lt"
    " THEN epoch_us(timezone('Europe/Paris', lt) - INTERVAL 1 HOUR)"
    " ELSE epoch_us(timezone('Europe/Paris', lt)) END",
    "CREATE OR REPLACE MACRO paris_add(us, d, m) AS"
    " CASE WHEN us IS NULL THEN NULL"
    " ELSE paris_instant(paris_local(us) + to_months(m) + to_days(d)) END",
)


class BatchError(LiciteError):
    """A batch (DuckDB) operation failed; the message says which and why."""

    exit_status = 1


def connect(
    *, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    for statement in MACROS:
        con.execute(statement)
    return con


def define_hmac(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """`hmac_hex(text)`: HMAC-SHA256 (RFC 2104) of the UTF-8 text, as `hmac.hexdigest()`."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    con.execute(
        "CREATE OR REPLACE MACRO hmac_hex(v) AS CASE WHEN v IS NULL THEN NULL ELSE"
        f" sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode(v)))) END"
    )


def load_scanner(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load `sqlite_scanner` or `postgres_scanner` from its Python package (no download)."""
    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        package = f"duckdb-extension-{name.replace('_', '-')}"
        raise BatchError(
            Text(
                f"extension DuckDB {name} absente (paquet {package})",
                f"DuckDB extension {name} is missing (package {package})",
            )
        ) from None
    version = con.execute("PRAGMA version").fetchone()
    assert version is not None
    path = (
        Path(str(resources.files(module))) / "extensions" / version[0] / f"{name}.duckdb_extension"
    )
    con.execute(f"LOAD '{path}'")


def attach_ledger(con: duckdb.DuckDBPyConnection, url: str) -> None:
    """Attach the ledger's store as schema `ledger` (read only)."""
    if url.startswith("sqlite:///"):
        load_scanner(con, "sqlite_scanner")
        path = url.removeprefix("sqlite:///")
        con.execute(f"ATTACH '{_quote(path)}' AS ledger (TYPE sqlite, READ_ONLY)")
    elif url.startswith(("postgresql://", "postgres://")):
        load_scanner(con, "postgres_scanner")
        schema = _search_path(url)
        scoped = f", SCHEMA '{_quote(schema)}'" if schema else ""
        con.execute(f"ATTACH '{_quote(url)}' AS ledger (TYPE postgres, READ_ONLY{scoped})")
    else:
        raise BatchError(Text(f"base inconnue : {url!r}", f"unknown store: {url!r}"))


def _search_path(url: str) -> str | None:
    """The schema a `?options=-csearch_path=…` URL points at (the ledger's tables live there)."""
    for value in parse_qs(urlparse(url).query).get("options", []):
        for option in value.split():
            if option.startswith("-csearch_path="):
                return option.removeprefix("-csearch_path=").split(",")[0]
    return None


def _quote(text: str) -> str:
    return text.replace("'", "''")
