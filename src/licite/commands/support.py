"""What every command shares: errors shown as messages, the language, the `--at` option.

A command never shows a traceback (SPEC §3): a `LiciteError` becomes its message in the
chosen language and its exit status (docs/security.md lists them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import NoReturn, ParamSpec, TypeVar

import click

from licite.errors import DiskFull, InvalidInput, LiciteError, NotModelled, is_disk_full, shown
from licite.i18n import Lang, Text, default_lang
from licite.moments import RANGE_TEXT, MomentOutOfRange, parse_moment

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a LiciteError into its message and exit status; never show a traceback.
    A full disk found by a plain write (an OSError) is reported as such too."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OSError as error:
            if not is_disk_full(error):
                raise
            report(DiskFull.at(error.filename))
        except LiciteError as error:
            report(error)

    return wrapper


def report(error: LiciteError) -> NoReturn:
    click.echo(f"licite: {error.text(lang())}", err=True)
    sys.exit(error.exit_status)


def lang() -> Lang:
    """The language of messages: `--lang`, else $LICITE_LANG, else French."""
    value = click.get_current_context().find_root().params.get("lang")
    return "en" if value == "en" else "fr" if value == "fr" else default_lang()


def say(text: Text) -> None:
    click.echo(text(lang()))


def parse_at(value: str | None, option: str = "--at") -> datetime | None:
    """A command's moment option: an invalid date is exit 2, a date outside what licite
    models exit 3 (SPEC §3), both naming the option and the value."""
    if value is None:
        return None
    try:
        return parse_moment(value)
    except MomentOutOfRange:
        raise NotModelled(
            Text(
                f"{option} : date hors de ce que licite modélise ({RANGE_TEXT}) : {shown(value)}",
                f"{option}: date outside what licite models ({RANGE_TEXT}): {shown(value)}",
            )
        ) from None
    except (ValueError, OverflowError):
        value_shown = shown(value)
        raise InvalidInput(
            Text(
                f"{option} : date invalide {value_shown} (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SS±HH:MM)",
                f"{option}: invalid date {value_shown} (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS±HH:MM)",
            )
        ) from None
