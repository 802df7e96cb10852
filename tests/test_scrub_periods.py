"""The batch adds legal periods exactly as the engine does (SPEC §1, "Periods").

`duck.period_end` computes start + period with a table of Paris summer times
instead of ICU; it must give `licite.moments.add_period`'s instant for every
start: month ends, leap days, the hours around each daylight-saving change, the
years before today's EU rule and far ahead of now. `duck.paris_text`, which
writes an instant as Paris local time for the outputs, is held to Python's
reading the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from licite.moments import PARIS, add_period, micros
from licite.scrub.duck import connect, paris_text, period_end, summer_time

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PERIODS = [(60, 0), (0, 1), (0, 12), (0, 36), (-30, 0), (1, 0)]


def in_sql(starts: list[int | None], days: int, months: int) -> list[int | None]:
    con = connect(threads=1)
    con.execute("CREATE TEMP TABLE v (k BIGINT, start BIGINT)")
    con.execute(
        "INSERT INTO v SELECT * FROM (SELECT unnest(range(len($1::BIGINT[]))) AS k,"
        " unnest($1::BIGINT[]) AS start)",
        [starts],
    )
    query = period_end("SELECT * FROM v", "start", days=days, months=months, out="ends")
    ends = dict(con.execute(f"SELECT k, ends FROM ({query})").fetchall())
    return [ends[k] for k in range(len(starts))]


def in_python(start: int, days: int, months: int) -> int:
    moment = EPOCH + timedelta(microseconds=start)
    return micros(add_period(moment, days=days, months=months))


YEARS = {1977, 1980, 1995, 1996, 2004, 2016, 2024, 2025, 2026, 2027, 2050}


def around_the_changes(days: int, months: int) -> list[int]:
    """Starts within hours of a change, and starts whose end falls within hours of one."""
    starts = []
    for year, begins, ends in summer_time():
        if year not in YEARS:
            continue
        for edge in (begins, ends):
            before = micros(
                add_period(EPOCH + timedelta(microseconds=edge), days=-days, months=-months)
            )
            for anchor in (edge, before):
                for quarter in range(-12, 13):
                    for nudge in (-1, 0, 1):
                        starts.append(anchor + quarter * 900_000_000 + nudge)
    return starts


def test_around_every_daylight_saving_change() -> None:
    for days, months in PERIODS:
        starts = around_the_changes(days, months)
        got = in_sql([*starts], days, months)
        wrong = [
            (s, g) for s, g in zip(starts, got, strict=True) if g != in_python(s, days, months)
        ]
        assert not wrong, (days, months, wrong[:5])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.integers(
            min_value=micros(datetime(1900, 1, 1, tzinfo=UTC)),
            max_value=micros(datetime(2700, 1, 1, tzinfo=UTC)),
        ),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from(PERIODS),
)
def test_any_start_any_period(starts: list[int], period: tuple[int, int]) -> None:
    days, months = period
    assert in_sql([*starts], days, months) == [in_python(s, days, months) for s in starts]


def test_no_start_no_end() -> None:
    assert in_sql([None, micros(datetime(2024, 1, 31, tzinfo=UTC))], 0, 1)[0] is None


def texts_in_sql(moments: list[int | None]) -> list[str | None]:
    con = connect(threads=1)
    con.execute("CREATE TEMP TABLE v (k BIGINT, moment BIGINT)")
    con.execute(
        "INSERT INTO v SELECT * FROM (SELECT unnest(range(len($1::BIGINT[]))) AS k,"
        " unnest($1::BIGINT[]) AS moment)",
        [moments],
    )
    query = paris_text("SELECT * FROM v", "moment", out="t")
    texts = dict(con.execute(f"SELECT k, t FROM ({query})").fetchall())
    return [texts[k] for k in range(len(moments))]


def text_in_python(moment: int) -> str:
    local = (EPOCH + timedelta(microseconds=moment)).astimezone(PARIS)
    return local.replace(microsecond=0).isoformat()


def test_paris_text_around_every_daylight_saving_change() -> None:
    moments = around_the_changes(0, 0)
    assert texts_in_sql([*moments]) == [text_in_python(m) for m in moments]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.integers(
            min_value=micros(datetime(1946, 1, 1, 1, tzinfo=UTC)),
            max_value=micros(datetime(2500, 12, 31, tzinfo=UTC)),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_paris_text_of_any_moment(moments: list[int]) -> None:
    assert texts_in_sql([*moments]) == [text_in_python(m) for m in moments]


def test_paris_text_outside_the_table_and_of_nothing() -> None:
    far = micros(datetime(2700, 6, 1, 12, tzinfo=UTC))
    assert texts_in_sql([None, far]) == [None, text_in_python(far)]
