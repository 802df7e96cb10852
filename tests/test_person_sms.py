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
