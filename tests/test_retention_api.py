"""Issue 20: `GET /v1/retention/due` lists the prospects whose clock ends soon with their
preference-centre link; agreeing there restarts the clock, so they leave the list.

The API's list is the engine's `retain` answers (the same as `licite retention due`):
a prospect collected three years less twenty days ago is due within 60 days and not
within 10; after a consent by a clear act through the link, the person's clock starts
again from today (SPEC 1.6) and the list no longer names them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from licite.moments import PARIS
from tests.test_ledger_support import BACKENDS, store_url
from tests.test_person_support import Person, person_side

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(params=BACKENDS)
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Person]:
    with store_url(request.param, tmp_path) as url, person_side(url, tmp_path) as running:
        collected = datetime.now(PARIS) - timedelta(days=3 * 365 - 20)
        people = [{"id": "old", "kind": "consumer", "email": "old@example.fr"}]
        events = [
            {"person": "old", "at": collected.isoformat(), "type": "collected", "method": "form",
             "informed": True, "purpose": "commercial"},
        ]  # fmt: skip
        for path, body in (("/v1/people", {"people": people}), ("/v1/events", {"events": events})):
            answer = running.client.post(path, json=body, headers=running.headers())
            assert answer.status_code in (200, 201), answer.text
        yield running


def _due(side: Person, within: str) -> list[dict[str, str]]:
    answer = side.client.get("/v1/retention/due", params={"within": within}, headers=side.headers())
    assert answer.status_code == 200, answer.text
    found: list[dict[str, str]] = answer.json()["due"]
    return found


def test_due_then_asked_then_no_longer_due(side: Person) -> None:
    due = [d for d in _due(side, "60d") if d["person"] == "old"]
    assert [d["sender"] for d in due] == ["shop"]
    assert not [d for d in _due(side, "10d") if d["person"] == "old"]
    path = due[0]["preferences_link"].removeprefix("https://prefs.example")
    assert path.startswith("/p/v1.")
    assert side.client.get(path).status_code == 200
    agreed = side.client.post(path, content="action=agree&channel=email", headers=FORM)
    assert agreed.status_code == 200, agreed.text
    assert not [d for d in _due(side, "60d") if d["person"] == "old"]


def test_due_needs_a_key_and_a_readable_window(side: Person) -> None:
    assert side.client.get("/v1/retention/due").status_code == 401
    bad = side.client.get("/v1/retention/due", params={"within": "soon"}, headers=side.headers())
    assert bad.status_code == 422 and "within" in bad.text and "soon" in bad.text


def test_the_dashboard_shows_the_latest_runs(side: Person) -> None:
    from licite.retention.runs import run_retention

    before = side.client.get("/dpo?lang=en", headers=side.headers())
    assert "No `licite retention run` yet." in before.text
    with side.ledger() as ledger:
        run_retention(ledger, at=datetime.now(PARIS))
    after = side.client.get("/dpo?lang=en", headers=side.headers())
    assert "Retention: latest runs" in after.text
    section = after.text.split("Retention: latest runs")[1]
    # One run: it decided every person recorded (three: p1, p2, old) and finished.
    assert "<td>1</td>" in section and "interrupted" not in section
