"""The DPO's dashboard shows the ledger's last verification (issue 18): never run, intact
(with or without a witness), a fault found, or too old — each as `licite ledger verify`
left it, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from licite.ledger.verifications import Verification, latest_verification
from tests.test_ledger_support import BACKENDS, raw, run, store_url
from tests.test_person_support import Person, person_side


@pytest.fixture(params=BACKENDS)
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Person]:
    with store_url(request.param, tmp_path) as url, person_side(url, tmp_path) as running:
        yield running


def _latest(side: Person) -> Verification | None:
    with side.ledger() as ledger:
        return latest_verification(ledger)


def _dashboard(side: Person, lang: str = "fr") -> str:
    answer = side.client.get(f"/dpo?lang={lang}", headers=side.headers())
    assert answer.status_code == 200, answer.text
    return answer.text


def test_never_verified_is_flagged(side: Person) -> None:
    page = _dashboard(side)
    assert "Le registre n&#x27;a jamais été vérifié" in page
    assert 'class="notice refused" role="alert"' in page


def test_an_intact_verification_is_shown_with_its_witness(side: Person, tmp_path: Path) -> None:
    assert run(["ledger", "verify"], side.env).exit_code == 0
    found = _latest(side)
    assert found is not None and found.intact and not found.witnessed
    assert found.events == 2  # the two consents the side was seeded with
    page = _dashboard(side)
    assert "intact, 2 événement(s) ; sans témoin" in page
    assert "jamais été vérifié" not in page
    log = tmp_path / "witness.jsonl"
    assert run(["ledger", "witness", "--to", str(log)], side.env).exit_code == 0
    assert run(["ledger", "verify", "--witness", str(log)], side.env).exit_code == 0
    assert "intact, 2 event(s); compared with a witness log." in _dashboard(side, "en")


def test_a_fault_found_is_shown_as_an_alert(side: Person) -> None:
    assert run(["ledger", "verify"], side.env).exit_code == 0
    raw(side.url, "UPDATE events SET channel = 'post' WHERE seq = 1")
    assert run(["ledger", "verify"], side.env).exit_code == 4
    found = _latest(side)
    assert found is not None and not found.intact and found.fault is not None
    page = _dashboard(side, "en")
    assert "TAMPERED" in page and "intact," not in page
    assert 'role="alert"' in page
    assert "ALTÉRÉ" in _dashboard(side)


def test_an_old_verification_is_flagged(side: Person) -> None:
    assert run(["ledger", "verify"], side.env).exit_code == 0
    eight_days = 8 * 86_400 * 1_000_000
    raw(side.url, f"UPDATE verifications SET at_us = {time.time_ns() // 1000 - eight_days}")
    page = _dashboard(side, "en")
    assert "That was 8 days ago: verify it at least every week." in page
