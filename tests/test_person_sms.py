"""STOP by SMS (issue 18): a signed webhook; STOP and its variants object for SMS from the
number's keyed hash; unsigned or wrongly signed calls change nothing; a redelivered message
is recorded once; an unknown number is still kept as a suppression record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licite.service.sms import is_stop, signature
from tests.test_ledger_support import BACKENDS, raw, store_url
from tests.test_person_support import SMS_SECRET, Person, person_side

ANNE = "+33612345678"


@pytest.fixture(params=BACKENDS)
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Person]:
    with store_url(request.param, tmp_path) as url, person_side(url, tmp_path) as running:
        yield running


def _send(side: Person, body: dict[str, Any], secret: str | None = SMS_SECRET) -> Any:
    raw_body = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Licite-Signature"] = signature(secret.encode(), raw_body)
    return side.client.post("/v1/sms/inbound", content=raw_body, headers=headers)


def _message(text: str = "STOP", number: str = ANNE, message_id: str = "m-1") -> dict[str, str]:
    return {"from": number, "text": text, "message_id": message_id}


@pytest.mark.parametrize(
    "text", ["STOP", "stop", " Stop ", "ARRÊT", "arret", "Arrêt.", "désabonner", "UNSUBSCRIBE"]
)
def test_stop_and_its_variants(text: str) -> None:
    assert is_stop(text)


@pytest.mark.parametrize("text", ["stopper la pub ?", "merci", "top", "ok stop now", ""])
def test_other_texts_are_not_a_stop(text: str) -> None:
    assert not is_stop(text)


@given(st.sampled_from(["stop", "arret", "désabonner", "unsubscribe"]), st.data())
def test_stop_whatever_the_case(word: str, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    mixed = "".join(c.upper() if f else c for c, f in zip(word, flips, strict=True))
    assert is_stop(f"  {mixed}\n")


def test_a_stop_objects_for_sms_and_decide_refuses(side: Person) -> None:
    assert side.decide("p1", "sms")["allowed"] is True
    answer = _send(side, _message("Arrêt", "06 12 34 56 78"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"message_id": "m-1", "redelivered": False, "stop": True, "persons": 1}
    objection = side.events()[-1]
    assert (objection["type"], objection["channel"], objection["via"]) == (
        "objection",
        "sms",
        "stop_sms",
    )
    decided = side.decide("p1", "sms")
    assert decided["allowed"] is False and "OBJECTED" in {r["code"] for r in decided["reasons"]}
    assert side.decide("p1", "email")["allowed"] is True


@pytest.mark.parametrize("secret", [None, "wrong secret"])
def test_an_unsigned_or_badly_signed_call_changes_nothing(side: Person, secret: str | None) -> None:
    before = side.events()
    answer = _send(side, _message(), secret)
    assert answer.status_code == 401
    assert "signature" in answer.json()["detail"]
    assert side.events() == before
    assert raw(side.url, "SELECT count(*) FROM sms_inbound") == [(0,)]


def test_a_signature_of_another_body_is_refused(side: Person) -> None:
    """The attack: replay a signed STOP's signature with another number in the body."""
    signed = json.dumps(_message()).encode()
    other = json.dumps(_message(number="+33698765432")).encode()
    answer = side.client.post(
        "/v1/sms/inbound",
        content=other,
        headers={"X-Licite-Signature": signature(SMS_SECRET.encode(), signed)},
    )
    assert answer.status_code == 401


def test_a_redelivered_message_is_recorded_once(side: Person) -> None:
    first = _send(side, _message())
    before = side.events()
    again = _send(side, _message())
    assert again.status_code == 200
    assert again.json() == {**first.json(), "redelivered": True}
    assert side.events() == before
    assert raw(side.url, "SELECT count(*) FROM sms_inbound") == [(1,)]


def test_an_unknown_number_is_kept_as_its_hash(side: Person) -> None:
    number = "+33698765432"
    answer = _send(side, _message(number=number, message_id="m-9"))
    assert answer.json()["persons"] == 0 and answer.json()["stop"] is True
    rows = raw(side.url, "SELECT phone_hash, stop, sender FROM sms_inbound")
    assert len(rows) == 1 and rows[0][1] in (1, True) and rows[0][2] == "all"
    assert "98765432" not in json.dumps(rows)  # the hash, never the number


def test_a_twilio_form_is_read_too(side: Person) -> None:
    body = b"From=%2B33612345678&Body=stop&MessageSid=SM123"
    answer = side.client.post(
        "/v1/sms/inbound",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Licite-Signature": signature(SMS_SECRET.encode(), body),
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["persons"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from": "not a number", "text": "STOP", "message_id": "x"}, "from"),
        ({"from": ANNE, "message_id": "x"}, "text"),
        ({"from": ANNE, "text": "STOP"}, "message_id"),
    ],
)
def test_a_bad_message_names_its_field(side: Person, body: dict[str, Any], field: str) -> None:
    answer = _send(side, body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(f"{field} :")
    assert raw(side.url, "SELECT count(*) FROM sms_inbound") == [(0,)]


def test_a_stop_from_a_number_unknown_then_binds_the_person_recorded_later(
    side: Person,
) -> None:
    # Issue 18: "an unknown number is still suppressed". The STOP comes first; the person
    # with that number is recorded afterwards, with a consent to SMS given before the STOP.
    number = "+33698765432"
    assert _send(side, _message(number=number, message_id="m-7")).json()["persons"] == 0
    people = [{"id": "late", "kind": "consumer", "email": "late@example.org", "phone": number}]
    consent = {
        "person": "late",
        "at": "2026-01-10T09:30:00+01:00",
        "type": "consent",
        "channel": "all",
        "purpose": "commercial",
        "sender": "shop",
        "mechanism": "checkbox",
    }
    for path, body in (("/v1/people", {"people": people}), ("/v1/events", {"events": [consent]})):
        answer = side.client.post(path, json=body, headers=side.headers())
        assert answer.status_code in (200, 201), answer.text
    refused = side.decide("late", "sms")
    assert refused["allowed"] is False
    assert "OBJECTED" in {r["code"] for r in refused["reasons"]}
    assert side.decide("late", "email")["allowed"] is True  # a STOP is about SMS only


def test_the_scrub_blocks_a_stopped_number_as_decide_does(
    side: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv

    from licite.case import load_campaign
    from licite.ledger import Ledger, decide_person
    from licite.scrub.run import scrub
    from tests.test_person_support import CAMPAIGN

    stranger = "+33698765432"
    _send(side, _message(number=stranger, message_id="m-8"))  # nobody's number yet
    _send(side, _message(number="06 12 34 56 78", message_id="m-9"))  # p1's
    contacts = side.directory / "list.csv"
    contacts.write_text(
        "id,kind,email,phone,postal_code\n"
        "p1,consumer,anne@example.org,06 12 34 56 78,75011\n"
        f",consumer,someone@example.org,{stranger},75011\n"
        ",consumer,other@example.org,+33611111111,75011\n",
        encoding="utf-8",
    )
    campaign = {**CAMPAIGN, "request": {**CAMPAIGN["request"], "channel": "sms"}}
    campaign_file = side.directory / "sms.json"
    campaign_file.write_text(json.dumps(campaign), encoding="utf-8")
    out = side.directory / "out"
    for name, value in side.env.items():
        monkeypatch.setenv(name, value)
    scrub(contacts, campaign_file, out, database_url=side.url)
    with (out / "blocked.csv").open(encoding="utf-8", newline="") as handle:
        blocked = {row["phone"]: row for row in csv.DictReader(handle)}
    assert set(blocked) >= {"06 12 34 56 78", stranger}
    assert "OBJECTED" in blocked[stranger]["reasons"]
    assert "+33611111111" not in blocked or "OBJECTED" not in blocked["+33611111111"]["reasons"]
    with Ledger.open(side.url, environ=side.env) as ledger:
        alone = decide_person(ledger, "p1", load_campaign(campaign))
    assert not alone.allowed and set(alone.codes) == set(
        filter(None, blocked["06 12 34 56 78"]["reasons"].split(";"))
    )
