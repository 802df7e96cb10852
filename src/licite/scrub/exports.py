"""The result files in the form their reader wants: CSV, CSV for French Excel, or Parquet.

French Excel opens a CSV by double click only when it is separated by
semicolons and starts with a UTF-8 byte-order mark; without them accents come
out garbled and every row sits in one column. `--excel` writes that (DuckDB
writes the rows, the mark is put in front by streaming the file once).
`--format parquet` is for machines: typed, compressed, one file per result.
"""

from __future__ import annotations

import codecs
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

Form = Literal["csv", "excel", "parquet"]


@dataclass(frozen=True, slots=True)
class Style:
    form: Form = "csv"

    @property
    def suffix(self) -> str:
        return ".parquet" if self.form == "parquet" else ".csv"

    def name(self, stem: str) -> str:
        return stem + self.suffix


def export(con: duckdb.DuckDBPyConnection, query: str, path: Path, style: Style) -> None:
    """Write the rows of `query` to `path` (whose suffix `style` has chosen)."""
    quoted = str(path).replace("'", "''")
    if style.form == "parquet":
        con.execute(f"COPY ({query}) TO '{quoted}' (FORMAT parquet, COMPRESSION zstd)")
        return
    if style.form == "csv":
        con.execute(f"COPY ({query}) TO '{quoted}' (HEADER, DELIMITER ',')")
        return
    bare = path.with_name(f".{path.name}.rows")
    bare_quoted = str(bare).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{bare_quoted}' (HEADER, DELIMITER ';')")
    with bare.open("rb") as rows, path.open("wb") as out:
        out.write(codecs.BOM_UTF8)
        shutil.copyfileobj(rows, out, 1 << 20)
    os.unlink(bare)
