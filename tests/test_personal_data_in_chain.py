"""Issue 13, finding 5: no person's email address or phone number in the hash chain.

The chain is kept for ever and in the clear, beyond the reach of erasure: an id that is
an address, or an address written in a chained text field, would outlive the person's
erasure. Each test tries to put one there, through every way in.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licite.case import load_case, load_events, personal_address_in
from licite.errors import InvalidInput
from licite.ledger import Ledger, import_file

CASE = {
    "at": "2026-03-10T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial"},
    "person": {"kind": "consumer", "email": "a@example.fr"},
}
ADDRESSES = [
    "jean.dupont@gmail.com",
    "Jean.Dupont+promo@example.fr",
    "0612345678",
    "06 12 34 56 78",
    "+33 6 12 34 56 78",
    "0033612345678",
    "client-0612345678",
    "contact: jean@example.org",
]
OPAQUE = ["C-1001", "p00000042", "42", "2024-11-05", "order 12345", "shop", "a@b"]


@pytest.fixture
def ledger_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("LICITE_DATABASE_URL", url)
    monkeypatch.delenv("LICITE_KEY_DIR", raising=False)
    yield url


@pytest.mark.parametrize("value", ADDRESSES)
def test_an_address_is_not_an_id(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_case({**CASE, "person": {**CASE["person"], "id": value}})  # type: ignore[dict-item]
    assert "opaque id" in caught.value.text.en
    assert "identifiant opaque" in caught.value.text.fr


@pytest.mark.parametrize("value", OPAQUE)
def test_opaque_ids_and_texts_pass(value: str) -> None:
    assert personal_address_in(value) is None
    load_case({**CASE, "person": {**CASE["person"], "id": value}})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "consent", "sender": "boss@shop.fr"}, "sender"),
        ({"type": "consent", "processing": "0612345678"}, "processing"),
        ({"type": "collected", "source": "called from +33 6 12 34 56 78"}, "source"),
        ({"type": "consent", "wording": "write to jean@example.org"}, "wording"),
        ({"type": "contract", "object": "line 06 12 34 56 78"}, "object"),
        ({"type": "customer", "products": ["shoes", "jean@example.org"]}, "products"),
        ({"type": "opinion_inferred", "source": "jean@example.org"}, "source"),
    ],
)
def test_a_chained_text_field_refuses_an_address(event: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_events([{"at": "2025-01-01", **event}])
    assert caught.value.text.en.startswith(f"history[0].{field}")
    assert "chain it for ever" in caught.value.text.en


def test_import_refuses_addresses_as_ids_and_in_chained_fields_and_goes_on(
    tmp_path: Path, ledger_url: str
) -> None:
    rows: list[dict[str, object]] = [
        {"type": "person", "id": "jean.dupont@gmail.com", "kind": "consumer"},
        {"type": "person", "id": "0612345678", "kind": "consumer"},
        {"type": "person", "id": "C-1", "kind": "consumer", "email": "jean.dupont@gmail.com"},
        {"person": "jean.dupont@gmail.com", "at": "2025-01-01", "type": "consent"},
        {"person": "C-1", "at": "2025-01-01", "type": "consent", "sender": "boss@shop.fr"},
        {"person": "C-1", "at": "2025-01-02", "type": "collected", "source": "tel 0612345678"},
        {"person": "C-1", "at": "2025-01-03", "type": "consent", "sender": "shop"},
    ]
    lines = tmp_path / "import.jsonl"
    lines.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with Ledger.open(ledger_url) as ledger:
        report = import_file(ledger, lines)
    assert sorted(n for n, _ in report.rejected) == [1, 2, 4, 5, 6]
    assert report.persons_added == 1 and report.events_added == 1
    people = tmp_path / "people.csv"
    people.write_text(
        "id,kind,email,phone,postal_code\n"
        "marie@example.fr,consumer,marie@example.fr,,\n"
        "+33612345679,consumer,,+33612345679,\n"
        "C-2,consumer,marie@example.fr,+33612345679,75011\n",
        encoding="utf-8",
    )
    with Ledger.open(ledger_url) as ledger:
        report = import_file(ledger, people)
    assert sorted(n for n, _ in report.rejected) == [2, 3]
    assert report.persons_added == 1
    # Nothing of the addresses in the clear anywhere in the database file.
    raw = (tmp_path / "ledger.db").read_bytes()
    for text in (b"jean.dupont", b"0612345678", b"612345678", b"marie@", b"boss@"):
        assert text not in raw, text
    with sqlite3.connect(tmp_path / "ledger.db") as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM persons")]
    connection.close()
    assert sorted(ids) == ["C-1", "C-2"]


_LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20)
_DOMAIN = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=15)


@settings(max_examples=200, deadline=None)
@given(_LOCAL, _DOMAIN, st.sampled_from(["fr", "com", "org", "co.uk"]), st.text(max_size=10))
def test_every_email_address_anywhere_in_an_id_is_refused(
    local: str, domain: str, tld: str, around: str
) -> None:
    value = f"{around} {local}@{domain}.{tld}"
    assert personal_address_in(value) == "email"


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["06", "07", "01", "09", "+33 6", "+33 7", "0033 6"]),
    st.lists(st.integers(0, 99), min_size=4, max_size=4),
    st.sampled_from(["", " ", ".", "-"]),
)
def test_every_french_phone_number_in_an_id_is_refused(
    start: str, pairs: list[int], separator: str
) -> None:
    value = "id " + start + separator + separator.join(f"{p:02d}" for p in pairs)
    assert personal_address_in(value) == "phone", value
