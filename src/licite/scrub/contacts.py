"""Reading a campaign list (CSV or Parquet) into DuckDB, with every bad row kept aside.

The list may be written as French CRMs and Excel write it (`list_format`,
`list_source`): its encoding and delimiter are found, its header is matched in
French or English (`headers`), a field it lacks is empty. Rows DuckDB cannot
read, rows whose values are wrong (an unknown kind, an address that is not one,
a number that is not a phone number, a postal code that is not five digits)
land in `rejected` and second rows for the same person in `duplicates`, each
with its physical line in the file (`list_rows`); the others are scrubbed.

Made: the view `contacts(row_id, line, <list columns>, email_norm, phone_e164,
postal_norm, place)` of the good rows (the last four until `release_normalized`),
the tables `rejected(line, problem, reason_fr, reason_en, raw)` and
`duplicates(line, first_line, raw)`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from licite.errors import InvalidInput, unreadable
from licite.i18n import Text
from licite.scrub.list_rows import counted_right, number_lines, set_aside
from licite.scrub.list_source import ListOptions, ListSource, list_source
from licite.scrub.normalize import settle_slow_phones

REQUIRED: tuple[str, ...] = ("id", "kind", "email", "phone", "postal_code")


def read_contacts(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: ListOptions | None = None,
    workdir: Path | None = None,
) -> ListSource:
    """Load, normalize and check the list; what was read and how (its extra columns are
    carried through to the outputs). `workdir` holds a rewritten file while it is read."""
    if not path.is_file():
        raise InvalidInput(Text(f"{path} : fichier introuvable", f"{path}: no such file"))
    chosen = options or ListOptions()
    with tempfile.TemporaryDirectory(prefix=".licite-list-", dir=workdir) as work:
        source = list_source(con, path, chosen, Path(work))
        try:
            _load(con, path, source)
            if not counted_right(con, source):  # a record spans lines: read it rewritten
                source.check_lines()
                source = list_source(con, path, chosen, Path(work), rewrite_always=True)
                _load(con, path, source)
        except BaseException:
            # Interrupted by the line guard, or stopped for another reason: the guard's
            # finding first, for it is what made DuckDB stop (`licite.scrub.shape`).
            source.stop_checking()
            raise
        source.check_lines()
    set_aside(con, source)
    return source


def _load(con: duckdb.DuckDBPyConnection, path: Path, source: ListSource) -> None:
    try:
        _normalize(con, source.sql)
        number_lines(con, source)
    except duckdb.InterruptException:
        raise
    except duckdb.Error as error:
        raise unreadable(path, error) from None


NORMALIZED: tuple[str, ...] = ("email_norm", "phone_e164", "postal_norm", "place")
"""The columns `read_contacts` adds, for matching and checking the rows."""


def release_normalized(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the normalized columns once the rows are matched and checked: only the list as
    read is written out, and the grouping to come needs the memory."""
    for name in NORMALIZED:
        con.execute(f"ALTER TABLE contacts_read DROP COLUMN {name}")


def _normalize(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """`contacts_read`: the list as read, in file order, with its normalized columns (one
    copy of the list: the lines are numbered by a view over it)."""
    # A row's place is its postal code's, else its number's: the numbers are only settled
    # below, and reading them inside this copy would compute each one again.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE contacts_read AS
        SELECT *, CASE WHEN postal_norm IS NOT NULL THEN place_key(postal_norm, NULL) END
            AS place
        FROM (
          SELECT * REPLACE (trim(kind) AS kind),
            nullif(lower(trim(email)), '') AS email_norm,
            phone_fast(phone) AS phone_e164,
            nullif(trim(postal_code), '') AS postal_norm
          FROM {source})
    """)
    settle_slow_phones(con, "contacts_read", "phone", "phone_e164")
    con.execute(
        "UPDATE contacts_read SET place = place_key(postal_norm, phone_e164)"
        " WHERE postal_norm IS NULL"
    )
