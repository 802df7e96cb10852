"""One exception tree: every failure a user can see is a LiciteError, declared here.

Lower-level errors (YAML, pydantic, sqlite3, psycopg, duckdb) are turned into
these before they reach the command line or the HTTP service, so a user gets
a message that names the field and the value, never a traceback. Like httpx's
`_exceptions.py`, the whole tree is declared here, and the drivers' errors are
mapped into it in one place, at the end of this module (`store_error`,
`batch_error`, `unreadable`) — without importing any driver.

    LiciteError                      exit 1
    ├── InvalidInput                 exit 2
    │   └── UnknownPerson
    ├── NotModelled                  exit 3
    ├── LedgerError                  exit 1
    │   ├── Tampered                 exit 4
    │   ├── RunInProgress            exit 75
    │   ├── StoreUnavailable         exit 5
    │   │   └── NoLedger
    │   └── KeyProblem               exit 6
    ├── CatalogueError               exit 70
    ├── OutputRefused                exit 73
    ├── DiskFull                     exit 74
    ├── OutputInUse                  exit 75
    ├── BatchError                   exit 1
    ├── PdfUnavailable               exit 1
    └── ProblemError                 exit 1 (an answer of the HTTP API)

docs/security.md ("Exit statuses") documents the statuses; they do not change.
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


class UnknownPerson(InvalidInput):
    """No person with this id is recorded in the ledger."""


class LedgerError(LiciteError):
    """The ledger cannot do what was asked (store unreachable, broken key, …)."""

    exit_status = 1


class StoreUnavailable(LedgerError):
    """The database named by LICITE_DATABASE_URL cannot be opened or queried."""

    exit_status = 5


class NoLedger(StoreUnavailable):
    """A command that only reads found no ledger where it was told to look (and made none)."""


class KeyProblem(LedgerError):
    """A key in the configuration is malformed, missing, or not this ledger's."""

    exit_status = 6


class Tampered(LedgerError):
    """`verify` found the ledger changed, removed, inserted or reordered."""

    exit_status = 4


class RunInProgress(LedgerError):
    """Another `retention run` is under way on the same ledger; try again when it ends."""

    exit_status = 75  # sysexits EX_TEMPFAIL: retry later


class OutputRefused(LiciteError):
    """The output folder holds what licite did not write, or one of the run's inputs."""

    exit_status = 73  # sysexits EX_CANTCREAT: a user-named output cannot be created


class OutputInUse(LiciteError):
    """Another licite run is writing to the same output folder; try again when it ends."""

    exit_status = 75  # sysexits EX_TEMPFAIL: retry later


class BatchError(LiciteError):
    """A batch (DuckDB) operation failed; the message says which and why."""

    exit_status = 1


class PdfUnavailable(LiciteError):
    """WeasyPrint or the system libraries it needs are missing."""

    exit_status = 1


class ProblemError(LiciteError):
    """An answer of the API that is a problem (RFC 9457), raised where it is found."""

    def __init__(self, kind: str, text: Text, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.kind = kind
        self.headers = headers or {}


# The drivers' errors, mapped to ours: the one place that knows them.

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


def first_line(error: BaseException) -> str:
    """A driver's message, first line only (PostgreSQL adds hints and context lines)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def store_error(
    error: BaseException, where: str, *, connecting: bool = False, connection_lost: bool = False
) -> DiskFull | StoreUnavailable:
    """A store's error (sqlite3, psycopg) as ours: a full disk, else the store named by
    `where` unavailable — `connecting` when it could not be reached at all,
    `connection_lost` when the store saw its server go away."""
    if is_disk_full(error):
        return DiskFull.at(where)
    detail = first_line(error)
    if connecting:
        return StoreUnavailable(
            Text(
                f"connexion à {where} impossible ({detail})",
                f"cannot connect to {where} ({detail})",
            )
        )
    if connection_lost:
        # The server went away (stopped, crashed, our backend ended): the transaction
        # under way was rolled back by the server, every one committed before is kept.
        return StoreUnavailable(
            Text(
                f"{where} indisponible : connexion perdue ({detail}) ; ce qui a été confirmé"
                " reste enregistré, relancez quand le serveur sera revenu",
                f"{where} unavailable: connection lost ({detail}); what was acknowledged is"
                " kept, run again once the server is back",
            )
        )
    return StoreUnavailable(Text(f"base {where} : {detail}", f"database {where}: {detail}"))


def batch_error(error: BaseException, where: object) -> DiskFull | BatchError:
    """A DuckDB (or file system) error met by a batch writing to `where`, as ours."""
    if is_disk_full(error):
        return DiskFull.at(where)
    return BatchError(
        Text(f"échec du traitement par lots : {error}", f"batch processing failed: {error}")
    )


def unreadable(path: object, error: BaseException) -> InvalidInput:
    """A user's file that DuckDB could not read (exit 2), naming the file."""
    return InvalidInput(Text(f"{path} : illisible ({error})", f"{path}: unreadable ({error})"))
