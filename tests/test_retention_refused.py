"""Issue 20: after a retention run, an erased person who had objected stays refused everywhere.

On the generated ledger (`licite.retention.sample`) behind the HTTP service and the mail
gateway, SQLite and PostgreSQL: `licite retention run` erases people who had objected
(their address now unreadable); then the API (`/v1/people/{id}/decide` and
`/v1/decide/batch`, a registered email campaign) refuses each of them with OBJECTED, and
the gateway answers 550 5.7.1 with OBJECTED to a message for their address, which is
no longer readable in the ledger but still known by its keyed hash (the suppression
record the erasure kept); nothing reaches the downstream server. `licite decide
--person` and `licite scrub` are tests/test_retention_run.py's.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from licite.ledger import import_file
from licite.moments import parse_moment
from licite.retention import Plan
from licite.retention.sample import AT, POLITICAL, write_ledger_file
from licite.service.campaigns import add_campaign
from tests.gateway_support import downstream, gateway, log_rows, mail, send
from tests.test_ledger_support import BACKENDS, raw, run, store_url
from tests.test_person_support import Person, person_side

PEOPLE = 300


@pytest.fixture(params=BACKENDS)
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Person]:
    with store_url(request.param, tmp_path) as url, person_side(url, tmp_path) as running:
        with running.ledger() as ledger:
            source = write_ledger_file(tmp_path / "in.jsonl", PEOPLE)
            assert not import_file(ledger, source).rejected
            add_campaign(ledger, POLITICAL)
        yield running


def _erased_objectors(side: Person) -> dict[str, str]:
    """Run the retention; the people it erased who had objected, with their email."""
    objected = {str(p) for (p,) in raw(side.url, "SELECT DISTINCT person_id FROM events"
                                              " WHERE type = 'objection'")}  # fmt: skip
    with side.ledger() as ledger:
        verdicts = list(Plan(ledger, parse_moment(AT)).verdicts())
        emails = {v.person: ledger.person(v.person).email for v in verdicts if v.erase}
    done = run(["retention", "run", "--at", AT, "--report", str(side.directory / "r")], side.env)
    assert done.exit_code == 0, done.output
    gone = {p: e for p, e in emails.items() if p in objected and e}
    assert gone, "the generated ledger has no erased objector with an address"
    with side.ledger() as ledger:
        for person in gone:
            stored = ledger.person(person)
            assert stored.erased_at_us is not None and stored.email is None
    return gone


def test_the_api_refuses_erased_objectors(side: Person) -> None:
    gone = _erased_objectors(side)
    for person in gone:
        answer = side.client.post(
            f"/v1/people/{person}/decide", json={"campaign": "winter-mail"}, headers=side.headers()
        )
        assert answer.status_code == 200, answer.text
        decision = answer.json()
        assert decision["allowed"] is False and "OBJECTED" in _codes(decision), decision
    batch = side.client.post(
        "/v1/decide/batch",
        json={"people": sorted(gone), "campaign": "winter-mail"},
        headers=side.headers(),
    ).json()["results"]
    assert [r["decision"]["allowed"] for r in batch] == [False] * len(gone)
    assert all("OBJECTED" in _codes(r["decision"]) for r in batch)


def _codes(decision: dict[str, Any]) -> set[str]:
    return {reason["code"] for reason in decision["reasons"]}


def test_the_gateway_refuses_erased_objectors_with_550(side: Person) -> None:
    gone = _erased_objectors(side)
    person, address = sorted(gone.items())[0]
    with downstream() as down, gateway(side, down) as port:
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused)) as caught:
            send(port, [address], mail())
        assert down.sink.received == []
    error = caught.value
    code: int
    text: bytes | str
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = error.recipients[address]
    else:
        assert isinstance(error, smtplib.SMTPDataError)
        code, text = error.smtp_code, error.smtp_error
    shown = text.decode() if isinstance(text, bytes) else text
    assert code == 550 and shown.startswith("5.7.1 ") and "OBJECTED GDPR art. 21" in shown, shown
    [row] = log_rows(side)  # decided as an address the ledger holds no readable record of
    assert row[2:4] == (None, "refused") and "OBJECTED" in row[4], row
    with side.ledger() as ledger:  # whose hash is the erased person's suppression record
        [(hashed,)] = ledger.store.read(
            "SELECT hash FROM suppressions WHERE person_id = ? AND kind = 'email'", (person,)
        )
    assert row[1] == hashed
