"""Signing in to the DPO's dashboard from a browser (issue 18: "behind an admin key or a
session for named DPO accounts"): a named admin key pasted once opens a session cookie that
opens `/dpo` and nothing else, ends with its key, and cannot be forged or stretched."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from licite.ledger.config import parse_url
from licite.service.dpo_session import COOKIE, SESSION_HOURS, make_session, read_session
from licite.service.keys import create_key, key_by_id, revoke_key
from licite.service.links import links_key
from tests.test_person_support import Person, person_side

HTML = {"Accept": "text/html"}


@pytest.fixture
def side(tmp_path: Path) -> Iterator[Person]:
    with person_side(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as running:
        yield running


def _dpo_key(side: Person, name: str = "Claire Martin, DPO", scope: str = "admin") -> str:
    with side.ledger() as ledger:
        return create_key(ledger, scope, name)[0]


def _sign_in(client: TestClient, key: str, lang: str = "") -> tuple[int, str | None]:
    answer = client.post(
        f"/dpo/login{lang}",
        content=f"key={key}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **HTML},
        follow_redirects=False,
    )
    return answer.status_code, answer.cookies.get(COOKIE)


def test_a_browser_without_a_session_is_shown_the_sign_in_form(side: Person) -> None:
    answer = side.client.get("/dpo", headers=HTML)
    assert answer.status_code == 401
    assert '<input id="key" name="key" type="password"' in answer.text
    assert "<svg" not in answer.text  # nothing of the dashboard
    english = side.client.get("/dpo?lang=en", headers=HTML)
    assert "Sign in to the DPO dashboard" in english.text and 'lang="en"' in english.text
    # An API client still gets the problem it always got.
    assert side.client.get("/dpo").headers["content-type"].startswith("application/problem")


def test_a_named_admin_key_opens_a_session_for_the_dashboard_only(side: Person) -> None:
    status, cookie = _sign_in(side.client, _dpo_key(side))
    assert status == 303 and cookie
    raw = next(h for h in side.client.cookies.jar if h.name == COOKIE)
    assert raw.path == "/dpo" and raw.has_nonstandard_attr("HttpOnly")
    page = side.client.get("/dpo", headers=HTML)
    assert page.status_code == 200, page.text
    assert page.text.count("<svg") == 4
    assert "Connecté en tant que Claire Martin, DPO." in page.text
    assert "lk_" not in cookie and "Claire" not in cookie  # no secret, no name in the cookie
    # The session opens nothing but the dashboard: the API reads only the Authorization.
    dossier = side.client.get("/v1/people/p1/dossier", headers={"Cookie": f"{COOKIE}={cookie}"})
    assert dossier.status_code == 401


def test_a_wrong_or_non_admin_key_opens_no_session(side: Person) -> None:
    admin = _dpo_key(side)
    altered = admin[:-1] + ("A" if admin[-1] != "A" else "B")
    for key, expected in (
        (altered, 401),
        ("lk_000000000000_nothing", 401),
        ("", 401),
        (_dpo_key(side, "crm", "read"), 403),
        (_dpo_key(side, "import", "write"), 403),
    ):
        status, cookie = _sign_in(side.client, key)
        assert (status, cookie) == (expected, None), key
    assert side.client.get("/dpo", headers=HTML).status_code == 401


def test_revoking_the_key_ends_its_session_at_the_next_request(side: Person) -> None:
    key = _dpo_key(side)
    _sign_in(side.client, key)
    assert side.client.get("/dpo", headers=HTML).status_code == 200
    with side.ledger() as ledger:
        revoke_key(ledger, key)
    answer = side.client.get("/dpo", headers=HTML)
    assert answer.status_code == 401
    assert "expiré ou sa clé a été révoquée" in answer.text
    assert COOKIE not in side.client.cookies  # the ended session's cookie is removed


def test_a_cookie_changed_by_one_character_is_refused(side: Person) -> None:
    _, cookie = _sign_in(side.client, _dpo_key(side))
    assert cookie is not None
    side.client.cookies.clear()
    for index in range(len(cookie)):
        changed = cookie[:index] + ("0" if cookie[index] != "0" else "1") + cookie[index + 1 :]
        answer = side.client.get("/dpo", headers={**HTML, "Cookie": f"{COOKIE}={changed}"})
        assert answer.status_code == 401, (index, changed)
        assert "<svg" not in answer.text


def test_a_session_cannot_be_stretched_nor_moved_to_another_key(side: Person) -> None:
    mine = _dpo_key(side)
    other = _dpo_key(side, "Paul, DPO")
    secret = links_key(parse_url(side.url), side.env)
    with side.ledger() as ledger:
        mine_id = mine.split("_")[1]
        other_id = other.split("_")[1]
        found = key_by_id(ledger, mine_id)
        assert found is not None
        session = make_session(secret, mine_id, found[1])
        assert read_session(secret, ledger, session) is not None
        version, _, expires, mac = session.split(".")
        # Another key's id under this MAC, a later expiry, or the MAC made without the key's
        # digest: each is refused.
        assert read_session(secret, ledger, f"{version}.{other_id}.{expires}.{mac}") is None
        later = int(expires) + 3600
        assert read_session(secret, ledger, f"{version}.{mine_id}.{later}.{mac}") is None
        assert read_session(secret, ledger, make_session(secret, mine_id, "")) is None
        # Expired: the last second before the end is open, the end itself is not.
        end = time.time() + SESSION_HOURS * 3600
        assert read_session(secret, ledger, session, now=int(end) - 1) is not None
        assert read_session(secret, ledger, session, now=int(end) + 1) is None
        # A session signed with another links key is not this ledger's.
        assert read_session(b"x" * 32, ledger, session) is None


def test_signing_out_removes_the_session(side: Person) -> None:
    _sign_in(side.client, _dpo_key(side), "?lang=en")
    page = side.client.get("/dpo?lang=en", headers=HTML)
    assert "Signed in as Claire Martin, DPO." in page.text
    out = side.client.post("/dpo/logout?lang=en", headers=HTML)
    assert out.status_code == 200 and "You are signed out." in out.text
    assert COOKIE not in side.client.cookies
    assert side.client.get("/dpo", headers=HTML).status_code == 401


def test_the_key_is_never_written_to_the_log(side: Person) -> None:
    key = _dpo_key(side)
    _sign_in(side.client, key)
    _sign_in(side.client, key[:-2] + "zz")
    secret = key.split("_", 2)[2]
    assert secret not in side.logs.getvalue()
    assert key.split("_")[1] in side.logs.getvalue()  # the key's id is: who signed in


def test_an_over_long_form_opens_nothing(side: Person) -> None:
    key = _dpo_key(side)
    answer = side.client.post(
        "/dpo/login",
        content=f"key={key}&pad={'x' * 5000}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert answer.status_code == 401 and COOKIE not in answer.cookies
