"""One exception tree: every failure a user can see is a LiciteError.

Lower-level errors (YAML, pydantic, sqlite3, psycopg, duckdb) are turned into
these before they reach the command line or the HTTP service, so a user gets
a message that names the field and the value, never a traceback.
"""

from __future__ import annotations

import errno

from licite.i18n import Text


def shown(value: object, limit: int = 80) -> str:
    """A value as an error message shows it: repr() cut at `limit` characters, computed
    only that far however large or deep the value is (an alias bomb's whole repr() would
    be gigabytes)."""
    parts: list[str] = []
    _bounded(value, parts, limit + 1)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "…"


def _bounded(value: object, parts: list[str], budget: int) -> int:
    """Append value's repr to `parts` until `budget` characters; what remains of it."""
    if budget <= 0:
        return 0
    if isinstance(value, dict):
        parts.append("{")
        budget -= 1
        for index, (key, inner) in enumerate(value.items()):
            if budget <= 0:
                return 0
            parts.append(", " if index else "")
            budget = _bounded(key, parts, budget - (2 if index else 0))
            parts.append(": ")
            budget = _bounded(inner, parts, budget - 2)
        parts.append("}")
        return budget - 1
    if isinstance(value, list | tuple):
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        parts.append(opening)
        budget -= 1
        for index, item in enumerate(value):
            if budget <= 0:
                return 0
            parts.append(", " if index else "")
            budget = _bounded(item, parts, budget - (2 if index else 0))
        parts.append("," + closing if isinstance(value, tuple) and len(value) == 1 else closing)
        return budget - 1
    text = repr(value[:budget] if isinstance(value, str) else value)
    parts.append(text[:budget])
    return budget - len(text)


class LiciteError(Exception):
    """Base of every error licite reports to a user."""

    exit_status = 1

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


class InvalidInput(LiciteError):
    """The input does not follow the case format (SPEC §2); exit status 2."""

    exit_status = 2


class NotModelled(LiciteError):
    """The moment asked for lies outside what licite models; exit status 3."""

    exit_status = 3


class CatalogueError(LiciteError):
    """The rule catalogue shipped with licite is inconsistent (a bug, not a user error)."""

    exit_status = 70


class DiskFull(LiciteError):
    """A write found no space left on its device; exit status 74 (EX_IOERR).

    Raised instead of whatever the driver said (SQLite's "database or disk is
    full", then "cannot rollback", DuckDB's IO Error, PostgreSQL's 53100), so a
    user reads the cause and knows that what was committed before is kept."""

    exit_status = 74

    @classmethod
    def at(cls, where: object | None) -> DiskFull:
        shown = Text(f" pour écrire {where}", f" to write {where}") if where else Text("", "")
        return cls(
            Text("disque plein : plus de place", "disk full: no space left")
            + shown
            + Text(
                " ; rien de ce qui était déjà enregistré n'est perdu, libérez de la place puis"
                " relancez",
                "; nothing recorded before is lost, free some space and run again",
            )
        )


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_NO_SPACE_WORDS = ("no space left on device", "database or disk is full", "disk quota exceeded")
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"


def is_disk_full(error: BaseException) -> bool:
    """Whether a driver's error means the device is full: an OSError's errno, SQLite's
    SQLITE_FULL, PostgreSQL's SQLSTATE 53100, or DuckDB's IO Error (text only)."""
    if isinstance(error, OSError) and error.errno in _NO_SPACE:
        return True
    if (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF == _SQLITE_FULL:
        return True
    if getattr(error, "sqlstate", None) == _PG_DISK_FULL:
        return True
    text = str(error).lower()
    return any(words in text for words in _NO_SPACE_WORDS)
