"""Moments and periods (SPEC §1): Paris calendar, local time kept, day clamped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licite.moments import PARIS, add_period, parse_moment


def test_spec_example_sixty_days_across_the_autumn_change() -> None:
    start = parse_moment("2026-09-30T10:30:00+02:00")
    assert add_period(start, days=60).isoformat() == "2026-11-29T10:30:00+01:00"


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        ("2024-02-29", {"years": 1}, "2025-02-28T00:00:00+01:00"),
        ("2024-01-31", {"months": 1}, "2024-02-29T00:00:00+01:00"),
        ("2023-01-31", {"months": 1}, "2023-02-28T00:00:00+01:00"),
        ("2024-03-31", {"months": -1}, "2024-02-29T00:00:00+01:00"),
        ("2023-12-15", {"months": 1}, "2024-01-15T00:00:00+01:00"),
        ("2026-11-02T11:00:00+01:00", {"days": -30}, "2026-10-03T11:00:00+02:00"),
    ],
)
def test_periods(start: str, period: dict[str, int], end: str) -> None:
    assert add_period(parse_moment(start), **period).isoformat() == end


def test_times_without_offset_are_paris_and_dates_are_midnight() -> None:
    assert parse_moment("2024-07-01T10:00:00").utcoffset() == timedelta(hours=2)
    assert parse_moment("2024-01-01").isoformat() == "2024-01-01T00:00:00+01:00"
    assert parse_moment(date(2024, 7, 1)).isoformat() == "2024-07-01T00:00:00+02:00"
    assert parse_moment("2024-07-01T08:00:00Z") == datetime(2024, 7, 1, 10, 0, tzinfo=PARIS)


@pytest.mark.parametrize("bad", ["2024-02-30", "yesterday", "2024-13-01T00:00:00", ""])
def test_invalid_moments(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_moment(bad)


instants = st.datetimes(
    min_value=datetime(2004, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.integers(0, 400))
def test_adding_days_keeps_the_local_time_of_day(moment: datetime, days: int) -> None:
    local = moment.astimezone(PARIS)
    later = add_period(moment, days=days).astimezone(PARIS)
    assert (later.date() - local.date()).days == days
    if not _in_a_gap(later):
        assert later.time() == local.time()


@given(instants, st.integers(0, 120), st.integers(0, 400))
def test_periods_are_monotonic(moment: datetime, months: int, days: int) -> None:
    assert add_period(moment, months=months) >= moment
    assert add_period(moment, months=months) <= add_period(moment, months=months + 1)
    other = moment + timedelta(hours=5)
    assert add_period(moment, days=days) <= add_period(other, days=days)


def test_a_later_start_can_end_earlier_when_the_day_is_clamped() -> None:
    # Months keep the day of the month, clamped to the month's last: the 30th at 19:00
    # and the 31st at midnight both end on 28 February, in the order of their times.
    evening = add_period(datetime(2010, 1, 30, 19, tzinfo=PARIS), months=1)
    midnight = add_period(datetime(2010, 1, 31, 0, tzinfo=PARIS), months=1)
    assert evening == datetime(2010, 2, 28, 19, tzinfo=PARIS)
    assert midnight == datetime(2010, 2, 28, 0, tzinfo=PARIS)


@given(instants, st.integers(0, 5))
def test_results_are_aware_and_comparable_as_instants(moment: datetime, years: int) -> None:
    result = add_period(moment.astimezone(timezone(timedelta(hours=-4))), years=years)
    assert result.tzinfo is not None
    assert result == add_period(moment, years=years)


def _in_a_gap(local: datetime) -> bool:
    """A wall-clock time skipped by the spring change (02:00–03:00) does not exist."""
    round_trip = local.astimezone(UTC).astimezone(PARIS)
    return round_trip.replace(tzinfo=None) != local.replace(tzinfo=None)
