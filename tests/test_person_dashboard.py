"""The DPO's dashboard (issue 18): admin key only; charts with their numbers, renewals due,
the chain's head and witness, the rules that changed (the 11 August 2026 phone reform)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from licite.moments import PARIS
from licite.service.keys import create_key
from tests.test_person_support import Person, person_side


@pytest.fixture
def side(tmp_path: Path) -> Iterator[Person]:
    with person_side(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as running:
        yield running


def test_the_dashboard_counts_what_the_ledger_holds(side: Person) -> None:
    side.client.post(f"/u/{side.token()}")
    side.client.post(f"/u/{side.token(person='p2')}")
    now = datetime.now(PARIS)
    calls = [
        {"person": "p1", "at": now.isoformat(), "type": "call", "sender": "shop", "outcome": o}
        for o in ("refused", "accepted")
    ]
    answer = side.client.post("/v1/events", json={"events": calls}, headers=side.headers())
    assert answer.status_code in (200, 201), answer.text
    page = side.client.get("/dpo", headers=side.headers())
    assert page.status_code == 200, page.text
    assert page.text.count("<svg") == 4
    month = now.strftime("%Y-%m")
    for label, expected in (("Oppositions", "2"), ("Refus pendant un appel", "1")):
        table = page.text.split(f'aria-label="{label}"')[1]
        found = re.search(rf'<th scope="row">{month}</th><td>(\d+)</td>', table)
        assert found is not None and found.group(1) == expected, label
    assert "2026-08-11" in page.text  # the phone reform: prior consent from that day
    assert "Consentements d&#x27;analyse à renouveler sous 30 jours : 0" in page.text
    assert "anne@example.org" not in page.text
    english = side.client.get("/dpo?lang=en", headers=side.headers())
    assert "DPO dashboard" in english.text and 'lang="en"' in english.text


def test_only_an_admin_key_opens_it(side: Person) -> None:
    assert side.client.get("/dpo").status_code == 401
    with side.ledger() as ledger:
        read = create_key(ledger, "read", "crm")[0]
    answer = side.client.get("/dpo", headers={"Authorization": f"Bearer {read}"})
    assert answer.status_code == 403
