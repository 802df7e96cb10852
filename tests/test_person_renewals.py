"""Yearly renewals (CPCE L32-3, D. 98-5 I; issue 18): the analysis consents that lapse
soon, asked of the engine, with a renewal link whose button records a new consent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from licite.commands import cli
from licite.moments import PARIS
from tests.test_ledger_support import BACKENDS, store_url
from tests.test_person_support import Person, person_side


def _consent(person: str, days_ago: int) -> dict[str, object]:
    return {
        "person": person,
        "at": (datetime.now(PARIS) - timedelta(days=days_ago)).isoformat(),
        "type": "consent",
        "processing": "ads-scan",
        "purpose": "advertising",
        "sender": "mailbox",
        "mechanism": "checkbox",
    }


@pytest.fixture(params=BACKENDS)
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Person]:
    with store_url(request.param, tmp_path) as url, person_side(url, tmp_path) as running:
        events = [_consent("p1", 350), _consent("p2", 100)]
        answer = running.client.post(
            "/v1/events", json={"events": events}, headers=running.headers()
        )
        assert answer.status_code == 200, answer.text
        yield running


def _due(side: Person, within: str) -> list[dict[str, str]]:
    answer = side.client.get("/v1/renewals", params={"within": within}, headers=side.headers())
    assert answer.status_code == 200, answer.text
    found: list[dict[str, str]] = answer.json()["renewals"]
    return found


def test_the_consents_that_lapse_within_the_window(side: Person) -> None:
    (due,) = _due(side, "30d")
    assert (due["person"], due["processing"], due["purpose"]) == ("p1", "ads-scan", "advertising")
    assert due["renewal_link"].startswith("https://prefs.example/r/v1.")
    assert _due(side, "10d") == []  # p1's lapses in about fifteen days
    assert {d["person"] for d in _due(side, "300d")} == {"p1", "p2"}


def test_renewing_through_the_link_records_a_new_consent(side: Person) -> None:
    (due,) = _due(side, "30d")
    path = due["renewal_link"].removeprefix("https://prefs.example")
    before = side.events()
    assert side.client.get(path).status_code == 200
    assert side.events() == before  # the page alone changes nothing
    done = side.client.post(path, headers={"User-Agent": "UA"})
    assert done.status_code == 200 and "renouvelé" in done.text
    consent = side.events()[-1]
    assert (consent["type"], consent["mechanism"], consent["processing"]) == (
        "consent",
        "clear_act",
        "ads-scan",
    )
    assert "ads-scan" in consent["proof"]["wording_text"]
    assert _due(side, "30d") == []


def test_a_preference_link_is_not_a_renewal_link(side: Person) -> None:
    before = side.events()
    answer = side.client.post(f"/r/{side.token()}")
    assert answer.status_code == 404
    assert side.events() == before


def test_a_bad_window_names_the_field(side: Person) -> None:
    answer = side.client.get("/v1/renewals", params={"within": "soon"}, headers=side.headers())
    assert answer.status_code == 422 and "within" in answer.text and "soon" in answer.text


def test_the_command(side: Person, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in side.env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["renewals", "--within", "30d"])
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    assert " p1 " in line and "ads-scan/advertising" in line and "/r/v1." in line
    bad = CliRunner().invoke(cli, ["renewals", "--within", "-3d"])
    assert bad.exit_code == 2 and "within" in bad.output
