"""One exception tree (`licite.errors`), and the one place drivers' errors join it.

Real drivers are made to fail — a SQLite file out of pages, DuckDB on a file it
cannot read, PostgreSQL's SQLSTATE for a full disk — and each failure must come
out as ours, with the exit status docs/security.md documents.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg
import pytest

from licite import errors
from licite.errors import (
    BatchError,
    DiskFull,
    InvalidInput,
    LiciteError,
    StoreUnavailable,
    batch_error,
    store_error,
    unreadable,
)

DOCUMENTED = {  # docs/security.md, "Exit statuses"
    "InvalidInput": 2,
    "UnknownPerson": 2,
    "NotModelled": 3,
    "Tampered": 4,
    "StoreUnavailable": 5,
    "NoLedger": 5,
    "KeyProblem": 6,
    "CatalogueError": 70,
    "OutputRefused": 73,
    "DiskFull": 74,
    "OutputInUse": 75,
}


def _full_sqlite(tmp_path: Path) -> sqlite3.Error:
    connection = sqlite3.connect(tmp_path / "small.db")
    connection.execute("CREATE TABLE t (x BLOB)")
    connection.execute("PRAGMA max_page_count = 3")
    try:
        with pytest.raises(sqlite3.Error) as caught:
            for _ in range(100):
                connection.execute("INSERT INTO t VALUES (randomblob(4000))")
        return caught.value
    finally:
        connection.close()


def test_every_error_is_ours_with_its_documented_status() -> None:
    classes = {
        name: value
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    assert all(issubclass(c, LiciteError) for c in classes.values())
    ours = {name: c for name, c in classes.items() if issubclass(c, LiciteError)}
    for name, status in DOCUMENTED.items():
        assert ours[name].exit_status == status, name
    assert {c.exit_status for c in ours.values()} == {1, *DOCUMENTED.values()}


def test_a_sqlite_file_out_of_pages_is_a_full_disk(tmp_path: Path) -> None:
    error = _full_sqlite(tmp_path)
    mapped = store_error(error, "sqlite:///small.db")
    assert isinstance(mapped, DiskFull)
    assert mapped.exit_status == 74
    assert "sqlite:///small.db" in mapped.text.en
    assert "plein" in mapped.text.fr


def test_another_sqlite_error_names_the_store(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "x.db")
    with pytest.raises(sqlite3.Error) as caught:
        connection.execute("SELECT * FROM no_such_table")
    connection.close()
    mapped = store_error(caught.value, "sqlite:///x.db")
    assert type(mapped) is StoreUnavailable
    assert mapped.exit_status == 5
    assert mapped.text.en == "database sqlite:///x.db: no such table: no_such_table"
    assert mapped.text.fr == "base sqlite:///x.db : no such table: no_such_table"


def test_postgresql_disk_full_and_a_lost_connection() -> None:
    full = store_error(psycopg.errors.DiskFull("could not extend file"), "PostgreSQL")
    assert isinstance(full, DiskFull)
    lost = store_error(
        psycopg.OperationalError("server closed the connection\nunexpectedly"),
        "PostgreSQL",
        connection_lost=True,
    )
    assert type(lost) is StoreUnavailable
    assert lost.text.en.startswith("PostgreSQL unavailable: connection lost (server closed")
    assert "unexpectedly" not in lost.text.en  # the first line only
    assert "relancez" in lost.text.fr


def test_postgresql_out_of_reach_names_why() -> None:
    with pytest.raises(psycopg.Error) as caught:  # nothing listens on port 1
        psycopg.connect("postgresql://nobody@127.0.0.1:1/none", connect_timeout=2)
    mapped = store_error(caught.value, "PostgreSQL", connecting=True)
    assert type(mapped) is StoreUnavailable
    assert mapped.exit_status == 5
    assert mapped.text.en.startswith("cannot connect to PostgreSQL (")
    assert mapped.text.fr.startswith("connexion à PostgreSQL impossible (")


def test_duckdb_on_a_file_it_cannot_read(tmp_path: Path) -> None:
    garbage = tmp_path / "list.parquet"
    garbage.write_bytes(b"PAR1 not a parquet file at all")
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect().execute(f"SELECT * FROM read_parquet('{garbage}')").fetchall()
    mapped = unreadable(garbage, caught.value)
    assert type(mapped) is InvalidInput
    assert mapped.exit_status == 2
    assert mapped.text.en.startswith(f"{garbage}: unreadable (")
    as_batch = batch_error(caught.value, tmp_path / "out")
    assert type(as_batch) is BatchError
    assert as_batch.text.en.startswith("batch processing failed: ")


def test_a_full_device_under_a_batch_is_a_full_disk(tmp_path: Path) -> None:
    error = OSError(28, "No space left on device")
    mapped = batch_error(error, tmp_path / "out")
    assert isinstance(mapped, DiskFull)
    assert str(tmp_path / "out") in mapped.text.en


def test_the_tree_imports_no_driver() -> None:
    """Mapping a driver's errors must not cost a decision the driver's import."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, licite.errors; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for driver in ("'sqlite3'", "'duckdb'", "'psycopg'", "'pydantic'"):
        assert driver not in loaded
