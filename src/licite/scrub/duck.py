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
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb

from licite.errors import BatchError
from licite.i18n import Text
from licite.moments import PARIS, micros

_BLOCK = 64  # SHA-256 block size, for HMAC's inner and outer pads

MACROS = (
    "CREATE OR REPLACE MACRO paris_local(us) AS"
    " timezone('Europe/Paris', make_timestamp(us)::TIMESTAMPTZ)",
    "CREATE OR REPLACE MACRO paris_instant(lt) AS CASE"
    " WHEN timezone('Europe/Paris', timezone('Europe/Paris', lt) - INTERVAL 1 HOUR) = lt"
    " THEN epoch_us(timezone('Europe/Paris', lt) - INTERVAL 1 HOUR)"
    " ELSE epoch_us(timezone('Europe/Paris', lt)) END",
    # `iso_paris` is ICU's reading; `paris_text` below is the same, by the table, faster.
    "CREATE OR REPLACE MACRO iso_paris(us) AS CASE WHEN us IS NULL THEN NULL ELSE"
    " strftime(paris_local(us), '%Y-%m-%dT%H:%M:%S') ||"
    " CASE WHEN epoch_us(paris_local(us)) >= us THEN '+' ELSE '-' END ||"
    " lpad((abs(epoch_us(paris_local(us)) - us) // 3600000000)::VARCHAR, 2, '0') || ':' ||"
    " lpad((abs(epoch_us(paris_local(us)) - us) % 3600000000 // 60000000)::VARCHAR, 2, '0')"
    " END",
    "CREATE OR REPLACE MACRO paris_add(us, d, m) AS"
    " CASE WHEN us IS NULL THEN NULL"
    " ELSE paris_instant(paris_local(us) + to_months(m) + to_days(d)) END",
)


def connect(
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    spill_to: str | None = None,
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # the scrub shows its own progress
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    if spill_to:
        con.execute("SET temp_directory = ?", [spill_to])
    for statement in (*MACROS, *_summer_macros()):
        con.execute(statement)
    return con


_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US
_FIRST_YEAR, _LAST_YEAR = 1946, 2500
"""Years over which Paris is UTC+1 with, some years, an hour of summer time."""


@cache
def summer_time() -> tuple[tuple[int, int, int], ...]:
    """(year, start, end) of Paris summer time, epoch µs, (y, 0, 0) in a year without one.

    Read from zoneinfo — the data `licite.moments` computes with — so that the batch and
    the engine agree by construction."""
    years = []
    for year in range(_FIRST_YEAR, _LAST_YEAR + 1):
        january, july = datetime(year, 1, 1, tzinfo=UTC), datetime(year, 7, 1, tzinfo=UTC)
        if _offset(january) == _offset(july):
            years.append((year, 0, 0))
            continue
        begins = _change_after(january, july)
        ends = _change_after(july, datetime(year + 1, 1, 1, tzinfo=UTC))
        years.append((year, micros(begins), micros(ends)))
    return tuple(years)


def _offset(moment: datetime) -> timedelta | None:
    return moment.astimezone(PARIS).utcoffset()


def _change_after(start: datetime, end: datetime) -> datetime:
    """The instant in (start, end] at which the offset changes (bisection to the second)."""
    before = _offset(start)
    while end - start > timedelta(seconds=1):
        middle = start + (end - start) / 2
        if _offset(middle) == before:
            start = middle
        else:
            end = middle
    return end.replace(microsecond=0)


def _summer_macros() -> tuple[str, ...]:
    """`paris_offset(us)`: Paris's UTC offset at the instant `us`, in µs; `paris_back(lt)`:
    the offset that turns the Paris clock reading `lt` (µs as if UTC) back into an instant
    as zoneinfo does with fold=0 (a time met twice in autumn is the first; a time skipped
    in spring takes the offset before the change: both are "summer time from start + 2 h
    to end + 2 h" on the local clock). Both read the start and end of the year's summer
    time from two constant lists, and are NULL outside their years (ICU is used there)."""
    years = summer_time()
    starts = ", ".join(str(start) for _, start, _ in years)
    ends = ", ".join(str(end) for _, _, end in years)
    first, last = years[0][0], years[-1][0]

    def macro(name: str, shift: int) -> str:
        year = "year(make_timestamp(t))"
        index = f"{year} - {first - 1}"
        return (
            f"CREATE OR REPLACE MACRO {name}(t) AS CASE"
            f" WHEN {year} BETWEEN {first} AND {last} THEN CASE"
            f" WHEN t >= list_extract([{starts}], {index}) + {shift}"
            f" AND t < list_extract([{ends}], {index}) + {shift}"
            f" THEN {2 * _HOUR_US} ELSE {_HOUR_US} END END"
        )

    return macro("paris_offset", 0), macro("paris_back", 2 * _HOUR_US)


def period_end(source: str, start: str, *, days: int = 0, months: int = 0, out: str) -> str:
    """`source` (a query) with a column `out`: `start` plus a legal period, exactly as
    `licite.moments.add_period` computes it.

    The start is read on the Paris calendar (`paris_offset`), shifted, and the shifted
    reading turned back into an instant (`paris_back`). ICU's time zone functions would
    cost about two microseconds a value on every row; they remain only for moments
    outside the years of the summer-time lists."""
    # On the local clock read as UTC a day is always 24 hours: only months need a calendar.
    local = f"({start} + paris_offset({start}))"
    if months:
        local = f"epoch_us(make_timestamp({local}) + to_months({months}))"
    shifted = f"{local} + {days * _DAY_US}" if days else local
    return f"""
      SELECT * EXCLUDE (_shifted, _back),
        CASE WHEN {start} IS NULL THEN NULL
             WHEN _back IS NOT NULL THEN _shifted - _back
             ELSE paris_add({start}, {days}, {months}) END AS {out}
      FROM (SELECT *, paris_back(_shifted) AS _back FROM (
        SELECT *, {shifted} AS _shifted FROM ({source})))
    """


def paris_text(source: str, moment: str, *, out: str) -> str:
    """`source` (a query) with a column `out`: the instant `moment` (epoch µs) as Paris
    local time with its offset, `2026-03-29T03:00:00+02:00`, to the second.

    The offset is `paris_offset`'s, as in `period_end`; ICU formats only the moments
    outside its years."""
    return f"""
      SELECT * EXCLUDE (_offset),
        CASE WHEN {moment} IS NULL THEN NULL
             WHEN _offset IS NULL THEN iso_paris({moment})
             ELSE strftime(make_timestamp({moment} + _offset), '%Y-%m-%dT%H:%M:%S')
                  || CASE WHEN _offset = {_HOUR_US} THEN '+01:00' ELSE '+02:00' END END AS {out}
      FROM (SELECT *, paris_offset({moment}) AS _offset FROM ({source}))
    """


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


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[object]],
) -> None:
    """Insert Python rows into `table`, whose `columns` are (name, DuckDB type).

    The rows travel as one JSON document: DuckDB's `executemany` converts each value
    through a Python type probe that costs about a millisecond a row here (5 000 rows
    took seconds), while one JSON parameter costs microseconds a row."""
    if not rows:
        return
    names = [name for name, _ in columns]
    payload = json.dumps([dict(zip(names, row, strict=True)) for row in rows])
    shape = json.dumps({name: _json_type(kind) for name, kind in columns})
    con.execute(
        f"INSERT INTO {table} ({', '.join(names)})"
        f" SELECT {', '.join(f'r.{n}' for n in names)}"
        " FROM (SELECT unnest(from_json(?, ?)) AS r)",
        [payload, f"[{shape}]"],
    )


def _json_type(kind: str) -> object:
    """A DuckDB column type in `from_json`'s structure notation (`VARCHAR[]` → ["VARCHAR"])."""
    return [_json_type(kind[:-2])] if kind.endswith("[]") else kind


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
