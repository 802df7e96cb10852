"""One exception tree: every failure a user can see is a LiciteError.

Lower-level errors (YAML, pydantic, sqlite3, psycopg, duckdb) are turned into
these before they reach the command line or the HTTP service, so a user gets
a message that names the field and the value, never a traceback.
"""

from __future__ import annotations

import reprlib

from licite.i18n import Text

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxtuple = 2, 4, 4, 4
_SHORT.maxstring = _SHORT.maxother = 60


def shown(value: object, limit: int = 80) -> str:
    """A value as an error message shows it: bounded however large or deep the value is
    (an alias bomb's repr() would be gigabytes)."""
    text = _SHORT.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
