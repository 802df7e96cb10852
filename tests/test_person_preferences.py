"""The preference centre (issue 18): per channel what the person agreed to, when and with
what wording; each change a ledger event with its proof, which decisions then follow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_ledger_support import BACKENDS, store_url
from tests.test_person_support import Person, person_side

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(params=BACKENDS)
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Person]:
    with store_url(request.param, tmp_path) as url, person_side(url, tmp_path) as running:
        yield running


def test_the_page_shows_each_consent_with_its_wording(side: Person) -> None:
    page = side.client.get(f"/p/{side.token()}")
    assert page.status_code == 200
    assert 'lang="fr"' in page.text and "Mes préférences de contact" in page.text
    assert "J&#x27;accepte les offres de Shop par sms." in page.text
    assert "2026-01-10 09:30" in page.text
    assert "anne@example.org" not in page.text  # the page never shows the address
    english = side.client.get(f"/p/{side.token()}?lang=en")
    assert 'lang="en"' in english.text and "My contact preferences" in english.text
    assert english.headers["cache-control"] == "no-store"


def test_stopping_sms_records_the_withdrawal_with_its_proof(side: Person) -> None:
    assert side.decide("p1", "sms")["allowed"] is True
    before = len(side.events())
    done = side.client.post(
        f"/p/{side.token()}",
        content="action=stop&channel=sms",
        headers={**FORM, "User-Agent": "UA"},
    )
    assert done.status_code == 200 and "Votre choix est enregistré" in done.text
    withdrawal, objection = side.events()[before:]
    assert (withdrawal["type"], withdrawal["channel"], withdrawal["sender"]) == (
        "withdrawal",
        "sms",
        "shop",
    )
    assert (objection["type"], objection["channel"], objection["via"]) == (
        "objection",
        "sms",
        "form",
    )
    assert withdrawal["proof"]["wording_text"] == "Ne plus recevoir de SMS de shop"
    assert withdrawal["proof"]["evidence"] == {"user_agent": "UA"}
    decided = side.decide("p1", "sms")
    assert decided["allowed"] is False
    assert {"CONSENT-WITHDRAWN", "OBJECTED"} & {r["code"] for r in decided["reasons"]}
    assert side.decide("p1", "email")["allowed"] is True
    assert "Opposition enregistrée le" in side.client.get(f"/p/{side.token()}").text


def test_agreeing_again_records_a_consent_with_the_sentence_shown(side: Person) -> None:
    side.client.post(f"/p/{side.token()}", content="action=stop&channel=sms", headers=FORM)
    assert side.decide("p1", "sms")["allowed"] is False
    side.client.post(f"/p/{side.token()}?lang=en", content="action=agree&channel=sms", headers=FORM)
    consent = side.events()[-1]
    assert (consent["type"], consent["mechanism"]) == ("consent", "clear_act")
    sentence = "I agree to receive commercial offers from shop by text messages (SMS)"
    assert consent["proof"]["wording_text"] == sentence
    assert side.decide("p1", "sms")["allowed"] is True


def test_stop_all_objects_on_every_channel(side: Person) -> None:
    side.client.post(f"/p/{side.token()}", content="action=stop_all", headers=FORM)
    assert side.decide("p1", "email")["allowed"] is False
    assert side.decide("p1", "sms")["allowed"] is False


@pytest.mark.parametrize(
    "body",
    [
        "",
        "action=stop&channel=pigeon",
        "action=erase&channel=sms",
        "action=%ff%fe",
        "a=1&" * 20 + "action=stop_all",
        "action=stop_all&pad=" + "x" * 5000,
    ],
)
def test_a_bad_request_changes_nothing(side: Person, body: str) -> None:
    before = side.events()
    answer = side.client.post(f"/p/{side.token()}", content=body, headers=FORM)
    assert answer.status_code == 400 and "rien n&#x27;a été changé" in answer.text
    assert side.events() == before


def test_forged_expired_and_other_links_change_nothing(side: Person) -> None:
    before = side.events()
    token = side.token()
    payload = token.split(".")[1]
    flipped = payload[:5] + ("A" if payload[5] != "A" else "B") + payload[6:]
    forged = token.replace(payload, flipped)
    answer = side.client.post(f"/p/{forged}", content="action=stop_all", headers=FORM)
    assert answer.status_code == 403 and "Lien refusé" in answer.text
    expired = side.client.post(f"/p/{side.token(days=0)}", content="action=stop_all", headers=FORM)
    assert expired.status_code == 410
    assert side.events() == before
    other = side.token(person="p2")
    side.client.post(f"/p/{other}", content="action=stop_all", headers=FORM)
    assert side.events() == before  # p2's link changes p2 only
    assert side.decide("p1", "email")["allowed"] is True


def test_a_preticked_consent_is_not_shown_as_agreed(side: Person) -> None:
    preticked = {
        "person": "p1",
        "at": "2026-02-01T10:00:00+01:00",
        "type": "consent",
        "channel": "phone_call",
        "purpose": "commercial",
        "sender": "shop",
        "mechanism": "preticked",
    }
    answer = side.client.post("/v1/events", json={"events": [preticked]}, headers=side.headers())
    assert answer.status_code == 200, answer.text
    page = side.client.get(f"/p/{side.token()}").text
    phone = page.split("appels téléphoniques</th>")[1].split("</tr>")[0]
    assert "ne vaut pas consentement" in phone and "Accepté" not in phone
    assert "J&#x27;accepte de recevoir les offres commerciales de shop par appels" in phone
