"""The batch's place and number macros give `licite.places.place_of`'s and
`licite.phones.normalize_phone`'s answers, for every input."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licite.phones import _SEPARATORS, _fast_path, normalize_phone
from licite.places import POSTAL_PREFIXES, place_of
from licite.scrub.duck import connect
from licite.scrub.normalize import install

_PREFIXES = sorted(POSTAL_PREFIXES)
_DIGITS = st.text(alphabet="0123456789", max_size=6)
postal_codes = st.one_of(
    st.none(),
    st.just(""),
    _DIGITS,
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(_PREFIXES), _DIGITS),
    # A prefix cut short, or a longer prefix's head without its last digit.
    st.sampled_from(_PREFIXES).map(lambda prefix: prefix[:-1]),
)
numbers = st.one_of(
    st.none(),
    st.sampled_from(["+262", "+590", "+596", "+594", "+33", "+262269", "+262639"]).flatmap(
        lambda head: st.text(alphabet="0123456789", max_size=9).map(lambda rest: head + rest)
    ),
)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect()
    install(connection)
    yield connection
    connection.close()


@settings(max_examples=300, deadline=None)
@given(postal_code=postal_codes, phone=numbers)
def test_place_key_is_place_of(
    con: duckdb.DuckDBPyConnection, postal_code: str | None, phone: str | None
) -> None:
    row = con.execute("SELECT place_key(?, ?)", [postal_code, phone]).fetchone()
    assert row is not None
    assert row[0] == place_of(postal_code, phone).key


@settings(max_examples=300, deadline=None)
@given(
    raw=st.one_of(
        st.text(alphabet="0123456789 .-+()", max_size=16),
        st.builds(
            lambda head, rest: head + rest,
            st.sampled_from(["0", "06", "+33", "+330", "0033", "0690", "+262", "+590"]),
            st.text(alphabet="0123456789 .", max_size=11),
        ),
    )
)
def test_the_fast_path_agrees_with_phonenumbers_where_it_answers(
    con: duckdb.DuckDBPyConnection, raw: str
) -> None:
    row = con.execute("SELECT phone_fast(?)", [raw]).fetchone()
    assert row is not None
    if row[0] is not None:  # what it cannot settle goes to phonenumbers
        assert row[0] == normalize_phone(raw)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.builds(
        lambda head, rest: head + rest,
        st.sampled_from(["", "0", "00", "+", "06", "0590", "0690", "0262", "0639", "+33"]),
        st.text(alphabet="0123456789 .-()+a\u00a0", max_size=12),
    )
)
def test_phone_fast_is_the_python_fast_path(con: duckdb.DuckDBPyConnection, raw: str) -> None:
    row = con.execute("SELECT phone_fast(?)", [raw]).fetchone()
    assert row is not None
    assert row[0] == _fast_path(raw.translate(_SEPARATORS))
