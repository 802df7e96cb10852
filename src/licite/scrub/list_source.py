"""A list file as DuckDB reads it: the right encoding and delimiter, its columns named.

`list_source` inspects the file (`list_format`), hands a regular one to DuckDB
as it is and an irregular one as rewritten, matches its header (`headers`) and
gives the SQL of a relation with the five fields of SPEC §4 under their names
(`NULL` for a field the list lacks, the kind read in either language), the
other columns as they are, and for a rewritten file `__line` and `__raw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from licite.errors import InvalidInput, unreadable
from licite.i18n import Text
from licite.scrub.headers import FIELDS, Columns, kind_sql, match_columns, written_kind_sql
from licite.scrub.list_format import LINE_COLUMN, RAW_COLUMN, ListFile, Rewritten, inspect, rewrite
from licite.scrub.shape import MAX_COLUMNS, MAX_LINE_BYTES, LineGuard, header_shape

DEFAULT_KIND = "consumer"
"""The kind of a row that gives none, without --kind: the most protected reading (a
consumer's consent is needed where a professional's relevance would do)."""
KIND_AS_WRITTEN = "__kind_as_written"
"""The kind column as the list wrote it, for a rejected row's line rebuilt from its fields."""


@dataclass(frozen=True, slots=True)
class ListOptions:
    """How the user says the list is written, where licite cannot tell (all optional)."""

    encoding: str | None = None
    delimiter: str | None = None
    maps: Mapping[str, str] = field(default_factory=dict)
    kind: str | None = None
    """The kind of rows that give none, in SPEC §2 values (see `headers.default_kind`)."""


@dataclass(slots=True)
class ListSource:
    sql: str
    """A relation: id, kind, email, phone, postal_code, the extras, [__line, __raw]."""
    columns: Columns
    file: ListFile | None
    rewritten: Rewritten | None = None
    names: list[str] = field(default_factory=list)
    """The list's columns as written, in file order (for a line rebuilt from its values)."""
    guard: LineGuard | None = None
    """The scan of the file's lines for one too long or too wide (`licite.scrub.shape`)."""
    extras: list[str] = field(default_factory=list)
    """The other columns under the names the outputs give them (an `email` column the
    `--map` did not choose is carried as `email (liste)`)."""

    def check_lines(self) -> None:
        """Wait for the scan of the lines; a line too long or too wide refuses the list."""
        problem = self.guard.problem() if self.guard is not None else None
        if problem is not None:
            raise InvalidInput(problem)

    def stop_checking(self) -> None:
        """End the scan early; what it found refuses the list (it is why DuckDB stopped)."""
        problem = self.guard.stop() if self.guard is not None else None
        if problem is not None:
            raise InvalidInput(problem) from None

    @property
    def delimiter(self) -> str:
        return self.file.delimiter if self.file else ","


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def csv_reader(path: Path, delimiter: str) -> str:
    quoted = str(path).replace("'", "''")
    sep = delimiter.replace("'", "''")
    return (
        f"read_csv('{quoted}', header = true, all_varchar = true, delim = '{sep}',"
        f" max_line_size = {MAX_LINE_BYTES + 1},"
        " quote = '\"', escape = '\"', store_rejects = true,"
        " rejects_table = 'csv_rejects', rejects_scan = 'csv_scans')"
    )


def parquet_reader(path: Path) -> str:
    quoted = str(path).replace("'", "''")
    return (
        "(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS line"
        f" FROM read_parquet('{quoted}', file_row_number = true))"
    )


def list_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: ListOptions,
    workdir: Path,
    *,
    rewrite_always: bool = False,
) -> ListSource:
    """The relation to read `path` from (see the module's doc); errors name the file."""
    parquet = path.suffix.lower() in (".parquet", ".pq")
    listed: ListFile | None = None
    done: Rewritten | None = None
    guard: LineGuard | None = None
    if parquet:
        base = parquet_reader(path)
    else:
        listed = inspect(path, encoding=options.encoding, delimiter=options.delimiter)
        _, width = header_shape(path)  # a header too long or too wide: refused here
        guard = LineGuard(con, path, listed.delimiter.encode(), width)
        if listed.regular and not rewrite_always:
            base = csv_reader(path, listed.delimiter)
        else:
            # The rewrite holds a record in memory: the scan vouches for every line first.
            problem = guard.problem()
            if problem is not None:
                raise InvalidInput(problem)
            try:
                done = rewrite(listed, workdir / "list-utf8.csv")
            except UnicodeDecodeError as error:
                raise InvalidInput(
                    Text(
                        f"{path} : illisible en {listed.encoding} (octet {error.start} d'une"
                        " ligne) ; préciser --encoding",
                        f"{path}: cannot be read as {listed.encoding} (byte {error.start} of a"
                        " line); give --encoding",
                    )
                ) from None
            base = csv_reader(done.path, ",")
    try:
        described = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {base}").fetchall()]
    except duckdb.InterruptException:
        if guard is not None:
            problem = guard.stop()
            if problem is not None:
                raise InvalidInput(problem) from None
        raise
    except duckdb.Error as error:
        if guard is not None:
            guard.stop()
        raise unreadable(path, error) from None
    if len(described) > MAX_COLUMNS:
        raise InvalidInput(
            Text(
                f"{path} : {len(described)} colonnes, au plus {MAX_COLUMNS} acceptées",
                f"{path}: {len(described)} columns, at most {MAX_COLUMNS} accepted",
            )
        )
    hidden = {LINE_COLUMN, RAW_COLUMN, "line"} if parquet else {LINE_COLUMN, RAW_COLUMN}
    names = [n for n in described if n not in hidden]
    try:
        columns = match_columns(names, options.maps, str(path))
    except InvalidInput:
        if guard is not None:
            guard.stop()
        raise
    selected = []
    for name in FIELDS:
        column = columns.fields[name]
        if name == "kind":
            value = kind_sql(quote(column) if column else None, options.kind or DEFAULT_KIND)
            written = written_kind_sql(quote(column) if column else None)
            selected.append(f"{written}::VARCHAR AS {KIND_AS_WRITTEN}")
        else:
            value = quote(column) if column else "NULL::VARCHAR"
        selected.append(f"{value} AS {name}")
    extras = [n if n not in FIELDS else f"{n} (liste)" for n in columns.extras]
    selected += [f"{quote(n)} AS {quote(e)}" for n, e in zip(columns.extras, extras, strict=True)]
    selected += [quote(n) for n in described if n in hidden]
    sql = f"(SELECT {', '.join(selected)} FROM {base})"
    return ListSource(sql, columns, listed, done, names, guard, extras)
