"""A list's shape checked before DuckDB is trusted with it: columns and line length.

DuckDB's CSV reader records one error per column too many (a few thousand a
second), and its sniffer tries every dialect on its sample: a header of 20 000
columns runs it out of memory, fifty rows of 20 000 columns keep it busy for
minutes. So the header is read here first (bounded), and a list whose header
has more than MAX_COLUMNS columns is refused before any work. Then the lines:
one with more than MAX_EXTRA columns beyond the header's refuses the whole
list, naming the line; one longer than MAX_LINE_BYTES is never held whole in
memory (DuckDB sets it aside by its max_line_size, or the scan refuses the list). The lines DuckDB's
sniffer samples are checked before it starts; the rest in a thread while
DuckDB reads, which it interrupts at the first such line. The scan counts the
separators of a block of lines at once (in C): only a block holding more than
the header's count a line, plus MAX_EXTRA, is looked at line by line, so a
normal list costs a fraction of its reading and a hostile one costs DuckDB no
more errors than ordinary defects would.
"""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import duckdb

from licite.errors import InvalidInput
from licite.i18n import Text

MAX_COLUMNS = 1000
MAX_EXTRA = 16
"""Columns beyond the header's that a line may have and stay a row DuckDB sets aside
("wrong number of columns"); more refuse the list."""
MAX_LINE_BYTES = 1 << 20
_HEADER_BYTES = 1 << 16
_BLOCK_BYTES = 1 << 23
SNIFFED_LINES = 20_480
"""DuckDB's CSV sniffer's sample (its `sample_size`)."""
_SEPARATORS = (b",", b";", b"\t", b"|")


def header_shape(path: Path) -> tuple[bytes, int]:
    """The header's separator (the commonest of , ; tab |) and its number of columns;
    refuses a header too long or too wide before DuckDB reads a byte."""
    try:
        with path.open("rb") as handle:
            head = handle.readline(_HEADER_BYTES + 1)
    except OSError as error:
        raise InvalidInput(
            Text(
                f"{path} : lecture impossible ({error.strerror})",
                f"{path}: cannot be read ({error.strerror})",
            )
        ) from None
    if len(head) > _HEADER_BYTES:
        raise InvalidInput(
            Text(
                f"{path} : ligne 1 (en-tête) de plus de {_HEADER_BYTES} octets",
                f"{path}: line 1 (the header) is longer than {_HEADER_BYTES} bytes",
            )
        )
    separator = max(_SEPARATORS, key=head.count)
    text = head.decode("utf-8", "replace")
    columns = next(csv.reader(io.StringIO(text), delimiter=separator.decode()), [])
    if len(columns) > MAX_COLUMNS:
        raise InvalidInput(_too_wide(path, 1, len(columns), MAX_COLUMNS))
    return separator, len(columns)


def _too_wide(path: Path, line: int, columns: int, most: int) -> Text:
    return Text(
        f"{path} : ligne {line} : {columns} colonnes, au plus {most} acceptées",
        f"{path}: line {line}: {columns} columns, at most {most} accepted",
    )


class LineGuard:
    """Scans the list's lines in a thread; interrupts `con` at the first one too long or
    too wide. `problem()` says which, once the scan is over."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, path: Path, separator: bytes, columns: int
    ) -> None:
        self._con, self._path, self._separator = con, path, separator
        self._most = columns + MAX_EXTRA
        self._problem: Text | None = None
        self._stop = threading.Event()
        self._scanned = threading.Event()
        # DuckDB's sniffer reads its sample without looking for interruptions: the lines
        # it samples are checked before it starts.
        self._problem = self._first_problem(SNIFFED_LINES)
        if self._problem is not None:
            raise InvalidInput(self._problem)
        self._thread = threading.Thread(target=self._scan, name="licite-line-guard", daemon=True)
        self._thread.start()

    def problem(self) -> Text | None:
        self._scanned.wait()
        self._stop.set()
        self._thread.join()
        return self._problem

    def stop(self) -> Text | None:
        """End the scan early; what it had found by then."""
        self._stop.set()
        self._thread.join()
        return self._problem

    def _scan(self) -> None:
        try:
            self._problem = self._first_problem()
        except OSError:
            return  # DuckDB says why it cannot read the file
        finally:
            self._scanned.set()
        # An interrupt reaches only the query running at that instant: one sent between
        # two of the reading's queries was lost, and DuckDB then read a list of lines
        # 30 000 columns wide for minutes. So interrupt again until the reader stops us.
        while self._problem is not None and not self._stop.is_set():
            try:
                self._con.interrupt()
            except duckdb.Error:
                return  # the connection is closed: nothing left to stop
            self._stop.wait(0.02)

    def _first_problem(self, most: int | None = None) -> Text | None:
        # Blocks, never a whole line at once (a line of gigabytes without an end costs
        # a block), counted in C; a block is cut into lines only when it holds more
        # separators than its lines may.
        number = 0
        tail = b""
        allowed = self._most - MAX_EXTRA - 1  # the header's separators
        with self._path.open("rb") as handle:
            while not self._stop.is_set():
                block = handle.read(_BLOCK_BYTES if most is None else 1 << 20)
                if not block:
                    return None if not tail else self._line_problem(number + 1, tail)
                newlines = block.count(b"\n")
                if not newlines:
                    tail += block
                    if len(tail) > MAX_LINE_BYTES:
                        return self._line_problem(number + 1, tail)
                    continue
                if block.count(self._separator) > newlines * allowed + MAX_EXTRA:
                    lines = (tail + block).split(b"\n")
                    lines.pop()
                    for offset, line in enumerate(lines, start=number + 1):
                        found = self._line_problem(offset, line)
                        if found is not None:
                            return found
                first = block.find(b"\n")
                if len(tail) + first > MAX_LINE_BYTES:  # DuckDB sets aside the later ones
                    return self._line_problem(number + 1, tail + block[:first])
                end = block.rfind(b"\n")
                tail = block[end + 1 :]
                number += newlines
                if most is not None and number >= most:
                    return None
        return None

    def _line_problem(self, number: int, line: bytes) -> Text | None:
        if len(line) > MAX_LINE_BYTES:
            return Text(
                f"{self._path} : ligne {number} de plus de {MAX_LINE_BYTES} octets",
                f"{self._path}: line {number} is longer than {MAX_LINE_BYTES} bytes",
            )
        columns = line.count(self._separator) + 1
        if columns > self._most and b'"' in line:  # separators inside quotes do not count
            text = line.decode("utf-8", "replace")
            columns = len(next(csv.reader([text], delimiter=self._separator.decode()), []))
        if columns > self._most:
            return _too_wide(self._path, number, columns, self._most)
        return None
