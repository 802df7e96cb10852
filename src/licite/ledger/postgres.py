"""The PostgreSQL store, for a ledger shared by several machines or processes.

Writers serialize on the chain head's row (`SELECT … FOR UPDATE` in the
journal), so appends from many processes form one chain. Batches go in with
COPY, the fastest way into PostgreSQL.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from itertools import compress
from typing import Any

import psycopg

from licite.errors import DiskFull, StoreUnavailable, store_error
from licite.ledger.config import Location
from licite.ledger.store import Row, Store, Transaction, no_ledger

_names = itertools.count()
_PREPARED = 1000
"""Statements `read_all` prepares on a connection at most."""
_TUPLES = psycopg.pq.ExecStatus.TUPLES_OK
"""The status of a result that carries rows (a SELECT's, not a BEGIN's or an EXECUTE's
command tag alone)."""


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class PostgresTransaction(Transaction):
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._connection.execute(_pg(sql), params)
        return cursor.fetchall() if cursor.description else []

    def many(self, statements: Sequence[str]) -> list[list[Row]]:
        # Pipeline mode: one round trip for them all, not one each (a commit reads the
        # state it signs in six statements, and waits for each on a busy machine).
        with self._connection.pipeline():
            cursors = [self._connection.execute(_pg(sql)) for sql in statements]
        return [cursor.fetchall() if cursor.description else [] for cursor in cursors]

    def where_in(self, select: str, column: str, values: Sequence[Any]) -> Iterator[Row]:
        # One array parameter: a long IN list makes PostgreSQL's planner scan the table.
        yield from self.execute(f"{select} WHERE {column} = ANY(?)", (list(values),))

    def lookup(
        self,
        table: str,
        columns: Sequence[str],
        keys: Sequence[Row],
        returning: Sequence[str] = (),
    ) -> Iterator[Row]:
        # One index probe per key, whatever the planner's statistics say (a table that is
        # being filled has none, and a join of arrays would then scan it).
        names = ", ".join(columns)
        equal = " AND ".join(f"t.{c} = k.{c}" for c in columns)
        arrays = [list(values) for values in zip(*keys, strict=True)]
        typed = ", ".join(f"?::{'bigint' if isinstance(a[0], int) else 'text'}[]" for a in arrays)
        yield from self.execute(
            f"SELECT t.* FROM unnest({typed}) AS k({names})"
            f" CROSS JOIN LATERAL (SELECT {', '.join([*columns, *returning])} FROM {table} t"
            f" WHERE {equal}) t",
            arrays,
        )

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with (
            self._connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def insert_shaped(
        self, table: str, columns: Sequence[str], shapes: Mapping[bytes, Sequence[Sequence[Any]]]
    ) -> None:
        for filled, rows in shapes.items():
            self.insert(table, list(compress(columns, filled)), rows)


class PostgresStore(Store):
    dialect = "postgresql"

    def __init__(self, location: Location, *, must_exist: bool = False) -> None:
        self.location = location
        try:
            self._connection = psycopg.connect(location.path, autocommit=True)
        except psycopg.Error as error:
            raise store_error(error, "PostgreSQL", connecting=True) from None
        self._prepared: dict[str, str] = {}
        """`read_all`'s statements: the name each is prepared under, or "" (`_prepare`)."""
        if must_exist and self.read("SELECT to_regclass('schema_version')")[0][0] is None:
            self.close()
            raise no_ledger(location)

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            cursor = self._connection.execute(_pg(sql), params)
            return cursor.fetchall() if cursor.description else []
        except psycopg.Error as error:
            raise self.problem(error) from None

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        try:
            with self._transaction(), self._connection.cursor(name=f"scan{next(_names)}") as cur:
                cur.itersize = 20_000
                cur.execute(_pg(sql), params)
                yield from cur
        except psycopg.Error as error:
            raise self.problem(error) from None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            yield
            return
        with self._connection.transaction():
            yield

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        try:
            with self._connection.transaction():
                yield PostgresTransaction(self._connection)
        except psycopg.Error as error:
            raise self.problem(error) from None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        try:
            with self._connection.transaction():
                self._connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                yield
        except psycopg.Error as error:
            raise self.problem(error) from None

    def read_all(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        """Every statement in one query string, between a BEGIN and a COMMIT: one round trip
        to the server for all of them, inside one snapshot. A string of several statements
        cannot carry server-side parameters: each statement is prepared once on this
        connection (`PREPARE`, so the server plans it once, as psycopg's own preparation
        would) and run by `EXECUTE` with its values bound by psycopg on this side
        (`ClientCursor`, the server's quoting rules). Statements the session lost (`DISCARD
        ALL`, `DEALLOCATE`) are prepared again."""
        connection = self._connection
        if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            return [self.read(sql, params) for sql, params in statements]  # a snapshot is open
        try:
            try:
                return self._batch(statements)
            except psycopg.errors.InvalidSqlStatementName:
                self._roll_back()
                self._prepared.clear()
                return self._batch(statements)
        except psycopg.Error as error:
            self._roll_back()
            raise self.problem(error) from None

    def _batch(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        parts = ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"]
        values: list[Any] = []
        for sql, params in statements:
            name = self._prepared[sql] if sql in self._prepared else self._prepare(sql)
            if name:
                marks = f"({','.join(['%s'] * len(params))})" if params else ""
                parts.append(f"EXECUTE {name}{marks}")
            else:
                parts.append(_pg(sql))
            values.extend(params)
        found: list[list[Row]] = []
        with psycopg.ClientCursor(self._connection) as cursor:
            cursor.execute(";".join([*parts, "COMMIT"]), values)
            while True:
                result = cursor.pgresult  # (`description` would build every column's)
                if result is not None and result.status == _TUPLES:
                    found.append(cursor.fetchall())
                if not cursor.nextset():
                    break
        return found

    def _roll_back(self) -> None:
        """End the transaction a failed batch left open (else every later statement fails)."""
        if self._connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with suppress(psycopg.Error):
                self._connection.execute("ROLLBACK")

    def _prepare(self, sql: str) -> str:
        """The name `sql` is prepared under on this connection; "" when it is not (its
        parameters' types cannot be inferred, or enough statements are prepared already:
        the gateway's vary with the number of recipients)."""
        name = ""
        if len(self._prepared) < _PREPARED:
            name = f"licite_read_{len(self._prepared)}"
            numbered = iter(range(1, sql.count("?") + 1))
            text = re.sub(r"\?", lambda _: f"${next(numbered)}", sql)
            try:
                self._connection.execute(f"PREPARE {name} AS {text}")
            except psycopg.errors.IndeterminateDatatype:
                name = ""
        self._prepared[sql] = name
        return name

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # One INSERT in autocommit mode: atomic on its own, without BEGIN and COMMIT.
        marks = "(" + ",".join(["%s"] * len(columns)) + ")"
        values = [value for row in rows for value in row]
        try:
            self._connection.execute(
                f"INSERT INTO {table} ({','.join(columns)}) VALUES "
                + ",".join([marks] * len(rows)),
                values,
            )
        except psycopg.Error as error:
            raise self.problem(error) from None

    def forget(self) -> None:
        """Nothing here: a VACUUM would not reach the WAL, replicas or backups. What they
        keep of an erased person's key is wrapped under the epoch key that the next
        rotation destroys (`licite.ledger.epochs`)."""

    def close(self) -> None:
        self._connection.close()

    def problem(self, error: Exception) -> StoreUnavailable | DiskFull:
        lost = self._connection.broken or self._connection.closed
        return store_error(error, "PostgreSQL", connection_lost=lost)
