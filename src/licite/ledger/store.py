"""The two stores behind one small interface: SQLite (embedded) and PostgreSQL.

SQL is written once with `?` placeholders; the PostgreSQL store translates.
Every sqlite3 error becomes a `StoreUnavailable` naming the database, so no
driver traceback reaches a user.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from itertools import compress
from operator import is_not
from pathlib import Path
from typing import Any
from urllib.parse import quote

from licite.errors import DiskFull, NoLedger, StoreUnavailable, store_error
from licite.i18n import Text
from licite.ledger.config import Location

Row = tuple[Any, ...]
PAGE_SIZE = 16384
"""Bytes per page of a new SQLite ledger (SQLite's default is 4096)."""
WAL_BYTES = 32 << 20
"""The write-ahead log is checkpointed into the database when it reaches this size."""
_is_value = partial(is_not, None)


class Transaction(ABC):
    """What a write may do while it holds the store's write lock."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def many(self, statements: Sequence[str]) -> list[list[Row]]:
        """Each statement's rows, in order (statements without parameters, none depending on
        another's result): PostgreSQL sends them all before reading any answer."""
        return [self.execute(sql) for sql in statements]

    @abstractmethod
    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def insert_shaped(
        self, table: str, columns: Sequence[str], shapes: Mapping[bytes, Sequence[Sequence[Any]]]
    ) -> None:
        """Append rows grouped by shape: `shapes[filled]` holds rows with only the values of
        the columns `filled` marks (1 per column with a value, 0 for NULL)."""

    def where_in(self, select: str, column: str, values: Sequence[Any]) -> Iterator[Row]:
        """Rows of `select` whose `column` is one of `values` (a lookup by key, in chunks)."""
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.execute(f"{select} WHERE {column} IN ({marks})", chunk)

    def lookup(
        self,
        table: str,
        columns: Sequence[str],
        keys: Sequence[Row],
        returning: Sequence[str] = (),
    ) -> Iterator[Row]:
        """The rows of `table` whose `columns` (which lead an index) hold one of `keys`:
        their `columns`, then their `returning` columns."""
        first, last = columns[0], columns[-1]
        for start in range(0, len(keys), 300):
            chunk = keys[start : start + 300]
            # The first column seeks in the index, the last one filters its entries.
            firsts = list({key[0] for key in chunk})
            lasts = [key[-1] for key in chunk]
            wanted = set(chunk)
            rows = self.execute(
                f"SELECT {', '.join([*columns, *returning])} FROM {table}"
                f" WHERE {first} IN ({','.join('?' * len(firsts))})"
                f" AND {last} IN ({','.join('?' * len(lasts))})",
                [*firsts, *lasts],
            )
            yield from (row for row in rows if tuple(row[: len(columns)]) in wanted)


class Store(ABC):
    dialect: str
    location: Location

    @abstractmethod
    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        """Rows one by one, for scans too large to hold in memory."""

    @abstractmethod
    def write(self) -> Any:
        """A context manager yielding a `Transaction` that holds the write lock."""

    @abstractmethod
    def snapshot(self) -> Any:
        """A context manager under which reads see one consistent state."""

    def read_all(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        """Each statement's rows, all read inside one snapshot: statements that do not
        depend on each other's answers (PostgreSQL sends them at once, `PostgresStore`)."""
        with self.snapshot():
            return [self.read(sql, params) for sql, params in statements]

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """`rows` added to `table` at once, committed together (a table outside the chain,
        such as the gateway's record; PostgreSQL: one statement, one round trip)."""
        with self.write() as tx:
            tx.insert(table, columns, rows)

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def forget(self) -> None:
        """Make what was just deleted leave the store's files (after an erasure)."""

    def problem(self, error: Exception) -> StoreUnavailable | DiskFull:
        return store_error(error, self.location.url)


class SqliteTransaction(Transaction):
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._connection.execute(sql, params).fetchall()

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        shapes: dict[bytes, list[list[Any]]] = {}
        for row in rows:
            filled = bytes(map(_is_value, row))
            shapes.setdefault(filled, []).append(list(compress(row, filled)))
        self.insert_shaped(table, columns, shapes)

    def insert_shaped(
        self, table: str, columns: Sequence[str], shapes: Mapping[bytes, Sequence[Sequence[Any]]]
    ) -> None:
        # The sqlite3 module binds a NULL through its adapter lookup, which costs more than
        # the rest of a sparse row: each shape's statement carries its NULLs as literals
        # (inserts of events ten times faster).
        names = ",".join(columns)
        for filled, rows in shapes.items():
            marks = ",".join("?" if given else "NULL" for given in filled)
            self._connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


class SqliteStore(Store):
    dialect = "sqlite"

    def __init__(self, location: Location, *, must_exist: bool = False) -> None:
        self.location = location
        # Autocommit mode: transactions are opened explicitly, BEGIN IMMEDIATE for
        # writes, so that two writers never both read the same chain head.
        if must_exist:
            self._connection = _existing_ledger(location)
        try:
            if not must_exist:
                self._connection = sqlite3.connect(location.path, timeout=120, isolation_level=None)
            # Only a database not yet written takes it (an older ledger keeps its pages):
            # an import's commit writes a quarter fewer bytes, verify reads fewer pages.
            self._connection.execute(f"PRAGMA page_size={PAGE_SIZE}")
            if not location.in_memory:
                self._connection.execute("PRAGMA journal_mode=WAL")
            # FULL: a batch the importer acknowledged survives a crash, power cut included.
            self._connection.execute("PRAGMA synchronous=FULL")
            # A deleted row's bytes are overwritten with zeros, not left in a free page
            # (an erased person's wrapped key; how SQLite was compiled must not decide).
            self._connection.execute("PRAGMA secure_delete=ON")
            self._connection.execute("PRAGMA cache_size=-65536")
            page_size = self._connection.execute("PRAGMA page_size").fetchone()[0]
            self._connection.execute(f"PRAGMA wal_autocheckpoint={WAL_BYTES // page_size}")
        except sqlite3.Error as error:
            raise self.problem(error) from None

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return self._connection.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise self.problem(error) from None

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        try:
            cursor = self._connection.execute(sql, params)
            cursor.arraysize = 10_000
            while batch := cursor.fetchmany():
                yield from batch
        except sqlite3.Error as error:
            raise self.problem(error) from None

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self.problem(error) from None
        try:
            yield SqliteTransaction(connection)
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            self._roll_back()
            raise self.problem(error) from None
        except BaseException:
            self._roll_back()
            raise

    def _roll_back(self) -> None:
        """Undo the open write, if SQLite has not already: after SQLITE_FULL or SQLITE_IOERR
        it rolls back by itself, and a second ROLLBACK would hide the first error."""
        if self._connection.in_transaction:
            with suppress(sqlite3.Error):
                self._connection.execute("ROLLBACK")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if self._connection.in_transaction:
            yield
            return
        try:
            self._connection.execute("BEGIN")
        except sqlite3.Error as error:
            raise self.problem(error) from None
        try:
            yield
        finally:
            self._connection.execute("ROLLBACK")

    def forget(self) -> None:
        """Copy the write-ahead log into the database and empty it (TRUNCATE): its frames
        hold the pages as they were before the erasure. A reader still inside an older
        snapshot keeps the log from being emptied; the epoch rotation covers that."""
        if self.location.in_memory:
            return
        try:
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as error:
            raise self.problem(error) from None

    def close(self) -> None:
        self._connection.close()


def no_ledger(location: Location, why: Text | None = None) -> NoLedger:
    detail = Text(f" ({why.fr})", f" ({why.en})") if why else Text("", "")
    return NoLedger(
        Text(f"aucun registre à {location.shown}", f"no ledger at {location.shown}") + detail
    )


def _existing_ledger(location: Location) -> sqlite3.Connection:
    """A connection to the SQLite ledger at `location`, which must already exist: opened
    read-write without creating (a file that is not there stays not there), and checked
    to hold a ledger before anything is written (a pragma would write an empty file)."""
    path = Path(location.path)
    if location.in_memory or not path.is_file():
        raise no_ledger(location)
    uri = f"file:{quote(str(path.absolute()))}?mode=rw"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=120, isolation_level=None)
    except sqlite3.Error as error:
        raise no_ledger(location, Text(str(error), str(error))) from None
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchall()
    except sqlite3.Error as error:
        connection.close()
        raise no_ledger(location, Text(str(error), str(error))) from None
    if not found:
        connection.close()
        raise no_ledger(location)
    return connection


def open_store(location: Location, *, must_exist: bool = False) -> Store:
    """The store at `location`; `must_exist`: one that already holds a ledger, else
    `NoLedger`, and nothing created (the read-only commands)."""
    if location.dialect == "postgresql":
        from licite.ledger.postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore(location, must_exist=must_exist)
    return SqliteStore(location, must_exist=must_exist)
