"""Moments and legal periods (SPEC §1, "Periods").

Every moment licite handles is timezone-aware. A time written without an
offset is Europe/Paris; a date alone is 00:00 Europe/Paris that day. Periods of
N days, months or years are added to the local Paris date, keeping the local
time of day and clamping the day to the month's end; the result is compared as
an instant, so a period that crosses a daylight-saving change keeps its
wall-clock time.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Every moment licite reads lies in [EARLIEST, LATEST): the years 1900 to 2199. Outside
them a moment is refused as outside what licite models (exit 3): no law it encodes speaks
of them, Python's datetime overflows adding a legal period to 9999-12-31 or moving
0001-01-01 to UTC, and the ledger must not record such an event for ever."""
RANGE_TEXT = "1900-01-01 – 2199-12-31"


class MomentOutOfRange(ValueError):
    """A moment that parses but lies outside [EARLIEST, LATEST)."""


def parse_moment(value: object) -> datetime:
    """A moment from an ISO 8601 string, a date or a datetime; raises ValueError
    (MomentOutOfRange for one outside [EARLIEST, LATEST))."""
    moment = _parse(value)
    return moment if 1900 < moment.year < 2199 else in_range(moment)


def _parse(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=PARIS)
    if isinstance(value, date):
        return start_of_day(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a date or date-time, got {type(value).__name__}")
    text = value.strip()
    if len(text) == 10:
        return start_of_day(date.fromisoformat(text))
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def in_range(moment: datetime) -> datetime:
    """`moment`, if it lies in [EARLIEST, LATEST)."""
    year = moment.year
    if 1900 < year < 2199:  # no offset moves these across a bound: no aware comparison
        return moment
    # The year first: comparing an aware 0001-01-01 or 9999-12-31 can itself overflow.
    if not (1899 <= year <= 2200 and EARLIEST <= moment < LATEST):
        raise MomentOutOfRange(f"{moment.date().isoformat()} is outside {RANGE_TEXT}")
    return moment


def start_of_day(day: date) -> datetime:
    """00:00 Europe/Paris on `day`."""
    return datetime.combine(day, time(0, 0), PARIS)


def paris_day(text: str) -> datetime:
    """00:00 Europe/Paris on an ISO date given as text (for constants)."""
    return start_of_day(date.fromisoformat(text))


def add_period(moment: datetime, *, days: int = 0, months: int = 0, years: int = 0) -> datetime:
    """`moment` plus a legal period, computed on the local Paris calendar."""
    return shift(moment, days, months + 12 * years)


@lru_cache(maxsize=1 << 16)  # a pure function of few distinct values: histories share dates
def shift(moment: datetime, days: int, months: int) -> datetime:
    local = moment.astimezone(PARIS)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    shifted = date(year, month, day) + timedelta(days=days)
    return datetime.combine(shifted, local.time(), PARIS)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The origin of the instants the ledger and the scrub store as integers (`at_us`)."""


def micros(moment: datetime) -> int:
    """UTC epoch microseconds, exact (no float on the way): how the ledger's rows and
    the scrub's DuckDB tables hold an instant."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def moment_of_micros(at_us: int) -> datetime:
    """The instant `micros` gave `at_us` for, in Europe/Paris."""
    return (EPOCH + timedelta(microseconds=at_us)).astimezone(PARIS)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 text of a moment, seconds precision unless finer is set."""
    return None if moment is None else moment.isoformat()
