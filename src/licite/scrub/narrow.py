"""A short list against a large SQLite ledger: only the list's own data, read by index.

The scrub reads the whole store (people, events, opposition list) whatever the
list's size: against a ledger of ten million people, a list of two rows took
14–17 s where `decide --person` takes about a millisecond a row. DuckDB's SQLite
scanner pushes no filter down, so a short list asks SQLite itself
(`sqlite_query`, which uses the ledger's indexes) for what its rows can reach:
the people its ids name, the people recorded with the address or number of a row
whose id names nobody, then those people's events, the opposition-list entries of
the rows' numbers and the erasures of their hashes. They are copied into the
schema `narrow`, whose tables have the ledger's names and the columns the scrub
reads, and `licite.scrub.sources` runs the same SQL on them as on the whole
ledger. A PostgreSQL ledger is always read whole.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from licite.scrub.facts_sql import HISTORY_COLUMNS

NARROW_ROWS = 50_000
"""The longest list read by index. Against ten million people (docs/benchmarks.md) a list
read by index costs about 70 µs a row, the whole store about 14 s: 50 000 rows took 3.6 s
against 14.1 s, 200 000 rows 13.8 s against 14.9 s."""
NARROW_SHARE = 0.01
"""…and only when the list is under this share of the ledger's people: reading the whole
store costs about 1.4 µs a person, so by index pays below about 2 %."""
CHUNK = 2_000
"""Values asked for in one SQLite query."""


def reads_by_index(url: str, rows: int, ledger_people: int) -> bool:
    """Whether a list of `rows` good rows reads its data from the store by index."""
    return (
        url.startswith("sqlite:///") and rows <= NARROW_ROWS and rows < NARROW_SHARE * ledger_people
    )


def read_people(con: duckdb.DuckDBPyConnection) -> None:
    """`narrow.persons`: the people the rows' ids name, and those recorded with the
    address or number of a row whose id names nobody (`sources.match_people` looks those
    rows up by their keyed hashes)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS narrow")
    _empty(con, "persons", ("id", "seq", "email_hash", "phone_hash", "erased_at_us"))
    _fetch(con, "persons", ("id",), _values(con, "SELECT nullif(trim(id), '') FROM contacts"))
    hashes = _values(
        con,
        """SELECT unnest([hmac_hex(c.email_norm), hmac_hex(c.phone_e164)])
           FROM contacts c ANTI JOIN narrow.persons p ON p.id = nullif(trim(c.id), '')""",
    )
    _fetch(con, "persons", ("email_hash", "phone_hash"), hashes, new_ids=True)


def read_histories(con: duckdb.DuckDBPyConnection, at_us: int) -> None:
    """The rest of `narrow`, once `matched` holds each row's person and hashes: the
    people's events up to `at_us`, the opposition-list entries of the rows' numbers, the
    erasures of their addresses and numbers, and the lists' imports (a few rows)."""
    _empty(con, "events", HISTORY_COLUMNS)
    people = _values(con, "SELECT person_id FROM matched")
    _fetch(con, "events", ("person_id",), people, also=f"at_us <= {int(at_us)}")
    _empty(con, "suppression_entries", ("import_id", "phone_hash"))
    _fetch(
        con, "suppression_entries", ("phone_hash",), _values(con, "SELECT phone_hash FROM matched")
    )
    _empty(con, "suppressions", ("hash", "person_id", "at_us"))
    hashes = _values(con, "SELECT unnest([email_hash, phone_hash]) FROM matched")
    _fetch(con, "suppressions", ("hash",), hashes)
    con.execute(
        "CREATE OR REPLACE VIEW narrow.suppression_imports AS"
        " SELECT * FROM ledger.suppression_imports"
    )


def _values(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    """The distinct non-null values of the one column `query` gives."""
    rows = con.execute(f"SELECT DISTINCT v FROM ({query}) t(v) WHERE v IS NOT NULL").fetchall()
    return [str(v) for (v,) in rows]


def _empty(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str]) -> None:
    """`narrow.<table>` with the ledger table's columns and types, empty."""
    con.execute(
        f"CREATE OR REPLACE TABLE narrow.{table} AS"
        f" SELECT {', '.join(columns)} FROM ledger.{table} LIMIT 0"
    )


def _fetch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: Sequence[str],
    values: Sequence[str],
    *,
    also: str | None = None,
    new_ids: bool = False,
) -> None:
    """Add to `narrow.<table>` the ledger's rows whose `keys` (any of them) take one of
    `values`, and that satisfy `also`; with `new_ids`, only people not there yet. SQLite
    answers with text, which the insert turns back into the table's types."""
    columns = [row[0] for row in con.execute(f"DESCRIBE narrow.{table}").fetchall()]
    for start in range(0, len(values), CHUNK):
        listed = ", ".join(_sqlite_text(v) for v in values[start : start + CHUNK])
        where = " OR ".join(f"{key} IN ({listed})" for key in keys)
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE ({where})"
        if also:
            sql += f" AND {also}"
        found = f"sqlite_query('ledger', {_duck_text(sql)})"
        if new_ids:
            found = f"(SELECT * FROM {found} WHERE id NOT IN (SELECT id FROM narrow.{table}))"
        con.execute(f"INSERT INTO narrow.{table} SELECT * FROM {found}")


def _sqlite_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _duck_text(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"
