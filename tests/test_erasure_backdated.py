"""Issue 13, finding 8: a campaign dated before an erasure must not allow the erased person.

The attack: erase a person on 1 June 2025, then decide or scrub a campaign whose
`at` says 5 March 2024, when their consent stood. Both paths — `licite decide
--person` (`history_as_of`) and the batch scrub, reading the ledger whole or by
index — must block them, on SQLite and PostgreSQL; someone never erased, with
the same history, stays allowed (so the test can tell the two apart).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licite.case import load_campaign
from licite.ledger import Ledger, decide_person, import_file
from licite.ledger.erasure import erase
from licite.moments import parse_moment
from licite.scrub import narrow
from licite.scrub.run import scrub
from tests.test_ledger_support import BACKENDS, environ, store_url, write_lines

ERASED_AT = "2025-06-01T09:00:00+02:00"
CAMPAIGN = {
    "id": "back-dated",
    "at": "2024-03-05T10:00:00+01:00",
    "sender": {"id": "shop", "kind": "company"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"},
}
HISTORY: list[dict[str, Any]] = [
    {"at": "2024-01-10", "type": "collected", "method": "form", "informed": True,
     "purpose": "commercial"},
    {"at": "2024-01-10", "type": "consent", "channel": "email", "purpose": "commercial",
     "sender": "shop", "mechanism": "checkbox"},
]  # fmt: skip
PEOPLE = {
    "kept": "kept@example.fr",
    "gone": "gone@example.fr",
    "gone-bare": None,  # no address or number: no suppression hash, only the erasure mark
}


def _history(person_id: str) -> list[dict[str, Any]]:
    return [{"person": person_id, **event} for event in HISTORY]


@pytest.fixture(params=BACKENDS)
def ledger_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    with store_url(request.param, tmp_path) as url:
        for name, value in environ(url, tmp_path).items():
            monkeypatch.setenv(name, value)
        lines: list[dict[str, Any]] = []
        for person_id, email in PEOPLE.items():
            person: dict[str, Any] = {"type": "person", "id": person_id, "kind": "consumer"}
            lines += [person | ({"email": email} if email else {}), *_history(person_id)]
        with Ledger.open(url) as ledger:
            assert not import_file(ledger, write_lines(tmp_path / "a.jsonl", lines)).rejected
            erase(ledger, "gone", parse_moment(ERASED_AT))
            erase(ledger, "gone-bare", parse_moment(ERASED_AT))
            # Recorded again after the erasure, under a new id, with the same back-dated
            # consent: only the suppression hash the erasure left says this address objected.
            again = [
                {"type": "person", "id": "again", "kind": "consumer", "email": PEOPLE["gone"]},
                *_history("again"),
            ]
            assert not import_file(ledger, write_lines(tmp_path / "b.jsonl", again)).rejected
        yield url


def test_decide_blocks_the_erased_whatever_the_campaigns_date(ledger_url: str) -> None:
    campaign = load_campaign(CAMPAIGN)
    with Ledger.open(ledger_url) as ledger:
        assert decide_person(ledger, "kept", campaign).allowed
        for person_id in ("gone", "gone-bare", "again"):
            decision = decide_person(ledger, person_id, campaign)
            assert not decision.allowed, person_id
            assert "OBJECTED" in decision.codes, (person_id, decision.codes)
        # After the erasure, as before: still blocked (its own objection event).
        later = decide_person(ledger, "gone", campaign, parse_moment("2025-07-01"))
        assert not later.allowed


@pytest.mark.parametrize("by_index", [False, True], ids=["whole", "by_index"])
def test_the_scrub_blocks_the_erased_whatever_the_campaigns_date(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_index: bool
) -> None:
    if by_index:
        monkeypatch.setattr(narrow, "NARROW_SHARE", 2.0)
    else:
        monkeypatch.setattr(narrow, "NARROW_ROWS", 0)
    contacts = tmp_path / "contacts.csv"
    with contacts.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "kind", "email", "phone", "postal_code", "tag"])
        writer.writerow(["kept", "consumer", PEOPLE["kept"], "", "75011", "kept"])
        writer.writerow(["gone", "consumer", PEOPLE["gone"], "", "75011", "gone"])
        writer.writerow(["gone-bare", "consumer", "bare@example.fr", "", "75011", "gone-bare"])
        writer.writerow(["again", "consumer", PEOPLE["gone"], "", "75011", "again"])
        writer.writerow(["", "consumer", PEOPLE["gone"], "", "75011", "by-address"])
    campaign_file = tmp_path / "campaign.json"
    campaign_file.write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    out = tmp_path / "out"
    scrub(contacts, campaign_file, out, database_url=ledger_url)
    allowed = _tags(out / "allowed.csv")
    blocked = _tags(out / "blocked.csv")
    assert allowed == {"kept"}
    assert blocked == {"gone", "gone-bare", "again", "by-address"}
    campaign = load_campaign(CAMPAIGN)
    with Ledger.open(ledger_url) as ledger:  # and the scrub says what decide says
        for tag in ("kept", "gone", "gone-bare", "again"):
            assert decide_person(ledger, tag, campaign).allowed == (tag in allowed)


def _tags(path: Path) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["tag"] for row in csv.DictReader(handle)}


@settings(max_examples=40, deadline=None)
@given(
    erased_after=st.integers(0, 3 * 365 * 24 * 3600),
    asked_after=st.integers(0, 2 * 365 * 24 * 3600),  # within the three years of retention
)
def test_no_moment_allows_an_erased_person(
    tmp_path_factory: pytest.TempPathFactory, erased_after: int, asked_after: int
) -> None:
    # Consent on 10 January 2024; erased some time after; asked at any moment since.
    start = parse_moment("2024-01-10T12:00:00+01:00")
    directory = tmp_path_factory.mktemp("any")
    person = {"type": "person", "id": "gone", "kind": "consumer", "email": "gone@example.fr"}
    lines = [person, *_history("gone")]
    with Ledger.memory() as ledger:
        assert not import_file(ledger, write_lines(directory / "a.jsonl", lines)).rejected
        campaign = load_campaign(CAMPAIGN)
        asked = start + timedelta(seconds=asked_after)
        assert decide_person(ledger, "gone", campaign, asked).allowed
        erase(ledger, "gone", start + timedelta(seconds=erased_after))
        assert not decide_person(ledger, "gone", campaign, asked).allowed
