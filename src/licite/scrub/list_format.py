"""How a list file is written: its encoding, its delimiter, and whether a record is a line.

A French CRM or Excel writes Windows-1252, or UTF-8 with a BOM, separated by
semicolons, with quoted fields that hold newlines and blank lines between
records. One pass over the file (1 MiB blocks) gives its size and SHA-256 (for
summary.json and the report), whether it is UTF-8, whether it has blank lines,
and how many newlines it has; a file that is not text (a workbook, an archive,
NUL bytes throughout its first block) stops the scrub before any work.

A *regular* file — UTF-8, no blank line — goes to DuckDB as it is, and a row's
line in the file is found by counting (the fast path: ten million rows pay the
one pass, a second or so). Any other file is rewritten once, by Python's csv
reader, into UTF-8 with two more columns: `__line`, the physical line on which
the record starts, and `__raw`, the record as written; a record with the
wrong number of fields is set aside there with its line. CRM exports are small;
the rewrite costs some 20 µs a row (docs/benchmarks.md).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from licite.errors import InvalidInput
from licite.i18n import Text

BLOCK = 1 << 20
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso-8859-15": "iso-8859-15",
}
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}
LINE_COLUMN, RAW_COLUMN = "__line", "__raw"


@dataclass(slots=True)
class ListFile:
    """What one pass over the file found."""

    path: Path
    size: int = 0
    sha256: str = ""
    encoding: str = "utf-8"
    bom: bool = False
    delimiter: str = ","
    newlines: int = 0
    ends_with_newline: bool = True
    blank_lines: bool = False

    @property
    def regular(self) -> bool:
        """UTF-8 and no blank line: DuckDB may read it as it is (see the module's doc)."""
        return self.encoding in ("utf-8", "utf-8-sig") and not self.blank_lines

    @property
    def lines(self) -> int:
        return self.newlines + (0 if self.ends_with_newline or self.size == 0 else 1)

    def record(self) -> dict[str, Any]:
        return {
            "name": self.path.name,
            "path": str(self.path),
            "bytes": self.size,
            "sha256": self.sha256,
            "encoding": "windows-1252" if self.encoding == "cp1252" else self.encoding,
            "delimiter": "tab" if self.delimiter == "\t" else self.delimiter,
        }


def inspect(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> ListFile:
    """One pass over `path`: size, hash, encoding (unless given), blank lines, delimiter."""
    found = ListFile(path)
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    first = b""
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            if not first:
                first = block
                if binary(block):
                    raise _not_text(path)
            digest.update(block)
            found.size += len(block)
            found.newlines += block.count(b"\n")
            joined = tail + block
            if not found.blank_lines and (
                b"\n\n" in joined
                or b"\n\r\n" in joined
                or (found.size == len(block) and block[:1] in (b"\n", b"\r"))
            ):
                found.blank_lines = True
            tail = block[-2:]
            if is_utf8 and not block.isascii():
                try:
                    utf8.decode(block)
                except UnicodeDecodeError:
                    is_utf8 = False
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    found.sha256 = digest.hexdigest()
    found.ends_with_newline = tail.endswith(b"\n")
    found.bom = first.startswith(codecs.BOM_UTF8)
    if encoding is not None:
        found.encoding = _given_encoding(encoding)
    elif is_utf8:
        found.encoding = "utf-8-sig" if found.bom else "utf-8"
    else:
        found.encoding = "cp1252" if _decodes(path, "cp1252") else "latin-1"
    head = _first_line(first, found.encoding)
    found.delimiter = _given_delimiter(delimiter) if delimiter else sniff_delimiter(head)
    return found


_SIGNATURES = (
    b"PK\x03\x04",  # xlsx, ods, zip
    b"\xd0\xcf\x11\xe0",  # xls
    b"%PDF",
    b"PAR1",  # Parquet under another name
    b"\x1f\x8b",  # gzip
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
)


def binary(block: bytes) -> bool:
    """A workbook, an archive, a PDF, an image — or NUL bytes in more than one byte in a
    hundred (UTF-16 too, which licite does not read). A stray NUL inside a field is a
    text file's defect: that row is rejected, not the list."""
    if block.startswith(_SIGNATURES):
        return True
    nuls = block.count(b"\x00")
    return nuls > 8 and nuls * 100 > len(block)


def sniff_delimiter(line: str) -> str:
    """The most frequent of `;` `,` tab `|` outside quotes in the header line (`,` on a tie)."""
    counts = dict.fromkeys((",", ";", "\t", "|"), 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


@dataclass(slots=True)
class Rewritten:
    """The rewrite of an irregular file: where it is, its header, the records set aside."""

    path: Path
    header: list[str]
    records: int = 0
    set_aside: list[tuple[int, str, int]] = field(default_factory=list)
    """(line, record as written, number of fields) of each record of the wrong width."""


def rewrite(source: ListFile, target: Path) -> Rewritten:
    """Write `source` as UTF-8 CSV with `__line` and `__raw` first (see the module's doc)."""
    records = _records(source)
    try:
        first = next(records)
    except StopIteration:
        raise InvalidInput(
            Text(f"{source.path} : fichier vide", f"{source.path}: empty file")
        ) from None
    header = first[2]
    out = Rewritten(target, header)
    width = len(header)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([LINE_COLUMN, RAW_COLUMN, *header])
        for line, raw, fields in records:
            if len(fields) != width:
                out.set_aside.append((line, raw, len(fields)))
                continue
            writer.writerow([line, raw, *fields])
            out.records += 1
    return out


def _records(source: ListFile) -> Iterator[tuple[int, str, list[str]]]:
    """(first physical line, text as written, fields) of each non-blank record."""
    with source.path.open(encoding=source.encoding, newline="", errors="strict") as handle:
        number = 0
        start = 0
        buffer: list[str] = []
        quotes = 0
        for physical in handle:
            number += 1
            if not buffer:
                if not physical.strip("\r\n"):
                    continue  # a blank line is not a record
                start = number
            buffer.append(physical)
            quotes += physical.count('"')
            if quotes % 2:
                continue  # inside a quoted field: the record goes on
            raw = "".join(buffer)
            buffer, quotes = [], 0
            fields = next(csv.reader(io.StringIO(raw), delimiter=source.delimiter))
            yield start, raw.rstrip("\r\n"), fields
        if buffer:
            raw = "".join(buffer)
            yield (
                start,
                raw.rstrip("\r\n"),
                next(csv.reader(io.StringIO(raw + '"'), delimiter=source.delimiter)),
            )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            while block := handle.read(BLOCK):
                decoder.decode(block)
        except UnicodeDecodeError:
            return False
    return True


def _first_line(block: bytes, encoding: str) -> str:
    text = block[: 1 << 16].decode(encoding, errors="replace")
    return text.lstrip("\ufeff").split("\n", 1)[0]


def _given_encoding(value: str) -> str:
    encoding = ENCODINGS.get(value.strip().lower())
    if encoding is None:
        raise InvalidInput(
            Text(
                f"--encoding : {value!r} inconnu (utf-8, windows-1252, latin-1, iso-8859-15)",
                f"--encoding: unknown {value!r} (utf-8, windows-1252, latin-1, iso-8859-15)",
            )
        )
    return encoding


def _given_delimiter(value: str) -> str:
    delimiter = DELIMITERS.get(value.strip(" ").lower())
    if delimiter is None:
        raise InvalidInput(
            Text(
                f"--delimiter : {value!r} ; attendu , ; tab ou |",
                f"--delimiter: {value!r}; expected , ; tab or |",
            )
        )
    return delimiter


def _not_text(path: Path) -> InvalidInput:
    return InvalidInput(
        Text(
            f"{path} : n'est pas un fichier texte (CSV) ; un classeur Excel s'enregistre en"
            " « CSV UTF-8 » avant d'être passé à licite",
            f'{path}: is not a text (CSV) file; save an Excel workbook as "CSV UTF-8"'
            " before giving it to licite",
        )
    )
