"""One-click unsubscribe (RFC 8058, issue 18): a GET changes nothing, a POST objects at
once with its proof, and `/v1/decide` then refuses the email."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from licite.commands import cli
from licite.ledger.erasure import erase
from tests.test_ledger_support import BACKENDS, store_url
from tests.test_person_support import Person, person_side

UA = "Mozilla/5.0 (X11; Linux x86_64) Thunderbird"


@pytest.fixture(params=BACKENDS)
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Person]:
    with store_url(request.param, tmp_path) as url, person_side(url, tmp_path) as running:
        yield running


def test_get_shows_a_confirmation_and_changes_nothing(side: Person) -> None:
    before = side.events()
    page = side.client.get(f"/u/{side.token()}")
    assert page.status_code == 200
    assert 'lang="fr"' in page.text and "Me désabonner" in page.text
    assert side.events() == before
    assert side.decide("p1", "email")["allowed"] is True


def test_the_one_click_post_objects_with_its_proof(side: Person) -> None:
    assert side.decide("p1", "email")["allowed"] is True
    done = side.client.post(
        f"/u/{side.token()}",
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": UA},
    )
    assert done.status_code == 200, done.text
    assert "opposition est enregistrée" in done.text
    objection = side.events()[-1]
    assert objection["type"] == "objection"
    assert (objection["channel"], objection["sender"], objection["via"]) == (
        "email",
        "shop",
        "unsubscribe_link",
    )
    proof = objection["proof"]
    assert proof["form"].startswith("/u · lien ") and "winter-mail" in proof["form"]
    assert side.token() not in proof["form"]  # the link's digest, not the link
    assert proof["evidence"]["user_agent"] == UA
    assert "shop" in proof["wording_text"]
    decided = side.decide("p1", "email")
    assert decided["allowed"] is False
    assert "OBJECTED" in {r["code"] for r in decided["reasons"]}
    assert side.decide("p1", "sms")["allowed"] is True  # only email was refused


def test_a_forged_or_expired_link_changes_nothing(side: Person) -> None:
    token = side.token()
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    before = side.events()
    refused = side.client.post(f"/u/{forged}", content="List-Unsubscribe=One-Click")
    assert refused.status_code == 403 and "Rien n&#x27;a été changé" in refused.text
    expired = side.client.post(f"/u/{side.token(days=0)}?lang=en")
    assert expired.status_code == 410 and "This link has expired" in expired.text
    other = side.token(person="p2")
    assert side.client.post(f"/u/{other}").status_code == 200
    assert side.events() == before  # p2's link objected for p2 only
    assert side.decide("p1", "email")["allowed"] is True


def test_a_link_of_an_unknown_person_is_a_clear_page(side: Person) -> None:
    answer = side.client.post(f"/u/{side.token(person='nobody')}?lang=en")
    assert answer.status_code == 404 and "Nothing was changed" in answer.text


def test_a_link_of_an_erased_person_is_a_clear_page_and_changes_nothing(side: Person) -> None:
    token = side.token(person="p2")
    with side.ledger() as ledger:
        erase(ledger, "p2")
    before = side.events()
    for agent in (UA, None):  # with evidence to seal (no key left), and without
        headers = {"User-Agent": agent} if agent else {"User-Agent": ""}
        answer = side.client.post(f"/u/{token}?lang=en", headers=headers)
        assert answer.status_code == 404 and "Nothing was changed" in answer.text
    assert side.events() == before


def test_headers_from_the_api_and_the_command(
    side: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = side.client.get(
        "/v1/people/p1/unsubscribe-headers",
        params={"campaign": "winter-mail"},
        headers=side.headers(),
    )
    assert answer.status_code == 200, answer.text
    values = answer.json()
    assert values["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url, mailto = values["List-Unsubscribe"].split(", ")
    assert url.startswith("<https://prefs.example/u/v1.") and mailto.startswith(
        "<mailto:unsubscribe@shop.example?subject="
    )
    assert "anne" not in values["List-Unsubscribe"]
    token = url[len("<https://prefs.example/u/") : -1]
    assert side.client.post(f"/u/{token}").status_code == 200
    assert side.decide("p1", "email")["allowed"] is False
    missing = side.client.get(
        "/v1/people/p1/unsubscribe-headers", params={"campaign": "nope"}, headers=side.headers()
    )
    assert missing.status_code == 404 and "nope" in missing.text
    for name, value in side.env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(
        cli, ["unsubscribe-headers", "--person", "p1", "--campaign", "winter-mail"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("List-Unsubscribe: <https://prefs.example/u/v1.")
    assert lines[1] == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    unknown = CliRunner().invoke(
        cli, ["unsubscribe-headers", "--person", "ghost", "--campaign", "winter-mail"]
    )
    assert unknown.exit_code != 0 and "ghost" in unknown.output


def test_the_logs_hold_neither_the_link_nor_the_person(side: Person) -> None:
    """A link is a credential and names a person: the log line has the route's template."""
    token = side.token()
    side.client.get(f"/u/{token}")
    side.client.post(f"/u/{token}")
    side.client.post(f"/p/{token}", content="action=stop_all")
    logged = side.logs.getvalue()
    assert '"route": "/u/{token}"' in logged and '"route": "/p/{token}"' in logged
    assert token not in logged and token.split(".")[1] not in logged
    assert "p1" not in logged.replace("/p/{token}", "")
