"""Phone numbers and places: E.164, overseas departments, postal codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licite.phones import _slow_path, normalize_phone
from licite.places import Place, place_of


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("01-23-45-67-89", "+33123456789"),
        ("0690 12 34 56", "+590690123456"),
        ("0596 12 34 56", "+596596123456"),
        ("0694 12 34 56", "+594694123456"),
        ("0692 12 34 56", "+262692123456"),
        ("0639 12 34 56", "+262639123456"),
        ("+262 639 12 34 56", "+262639123456"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_normalize(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "12", "not a number", "+33 6 12", "0000000000"])
def test_not_numbers(raw: str) -> None:
    assert normalize_phone(raw) is None


@given(st.from_regex(r"0[1-79][0-9]{8}", fullmatch=True))
def test_fast_path_agrees_with_phonenumbers_for_metropolitan_numbers(national: str) -> None:
    if national[:4] in (
        "0590",
        "0690",
        "0691",
        "0596",
        "0696",
        "0697",
        "0594",
        "0694",
        "0262",
        "0263",
        "0692",
        "0693",
        "0269",
        "0639",
    ):
        return  # overseas: phonenumbers reads these as +33, the ARCEP plan as +590…
    slow = _slow_path(national)
    if slow is not None:  # the fast path normalises; it does not judge allocation ranges
        assert normalize_phone(national) == slow


@pytest.mark.parametrize(
    ("postal_code", "phone", "place"),
    [
        ("75011", None, Place.METROPOLE),
        ("20000", None, Place.METROPOLE),
        ("57000", None, Place.MOSELLE),
        ("67000", None, Place.ALSACE),
        ("68100", None, Place.ALSACE),
        ("97100", None, Place.GUADELOUPE),
        ("97200", None, Place.MARTINIQUE),
        ("97300", None, Place.GUYANE),
        ("97400", None, Place.REUNION),
        ("97600", None, Place.MAYOTTE),
        ("75011", "+262692123456", Place.METROPOLE),
        (None, "+262692123456", Place.REUNION),
        (None, "+262269123456", Place.MAYOTTE),
        (None, "+262639123456", Place.MAYOTTE),
        (None, "+590690123456", Place.GUADELOUPE),
        (None, "+596696123456", Place.MARTINIQUE),
        (None, "+594694123456", Place.GUYANE),
        (None, "+33612345678", Place.METROPOLE),
        (None, None, Place.METROPOLE),
    ],
)
def test_place(postal_code: str | None, phone: str | None, place: Place) -> None:
    assert place_of(postal_code, phone) is place
