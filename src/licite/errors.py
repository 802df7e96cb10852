"""One exception tree: every failure a user can see is a LiciteError.

Lower-level errors (YAML, pydantic, sqlite3, psycopg, duckdb) are turned into
these before they reach the command line or the HTTP service, so a user gets
a message that names the field and the value, never a traceback.
"""

from __future__ import annotations

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
