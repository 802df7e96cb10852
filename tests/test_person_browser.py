"""The person's side in a real browser (issue 18): Playwright driving Debian's chromium.

A person opens the preference centre from a link, withdraws the SMS consent by keyboard,
and the ledger then holds the withdrawal with its proof and `/v1/decide` refuses the SMS;
a forged link shows a refusal page and changes nothing; the unsubscribe GET changes
nothing and its button objects; the DPO signs in by keyboard and the dashboard renders its
charts. Each page passes axe-core with no serious or critical violation. Screenshots go to
`$LICITE_TEST_ARTEFACTS/person` (default `test-artefacts/person`). Skipped when Playwright
or chromium is absent — and failed instead when CI=true, where both must be there.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from licite.ledger.config import parse_url
from licite.service import Settings, create_app
from licite.service.links import links_key, make_token
from tests.test_person_support import Person, person_side

CHROMIUM = Path(os.environ.get("LICITE_CHROMIUM", "/usr/bin/chromium"))
ARTEFACTS = Path(os.environ.get("LICITE_TEST_ARTEFACTS", "test-artefacts")) / "person"


def _browser_missing() -> str | None:
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright or axe-playwright-python is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists() and shutil.which(str(CHROMIUM)) is None:
        return f"no chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="module", autouse=True)
def _needs_a_browser() -> None:
    missing = _browser_missing()
    if missing is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI: {missing}")
    pytest.skip(f"browser tests skipped: {missing}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Person, str]]:
    """The person's side seeded through the API, and the same ledger served over HTTP."""
    with person_side(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as side:
        port = _free_port()
        app = create_app(
            Settings(database_url=side.url, environ=side.env, scrub_dir=tmp_path / "scrub")
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.02)
        try:
            yield side, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


def _shot(page: Any, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _accessible(page: Any, lang: str) -> None:
    """axe-core finds no serious or critical violation; and the checks a screen reader user
    relies on: the page's language, title, one main landmark and h1, every button named,
    every table header scoped."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']}"
        for v in found.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert serious == [], serious
    assert page.get_attribute("html", "lang") == lang
    assert page.title()
    assert page.get_by_role("main").count() == 1
    assert page.get_by_role("heading", level=1).count() == 1
    for button in page.get_by_role("button").all():
        assert button.inner_text().strip()
    for header in page.locator("th").all():
        assert header.get_attribute("scope") in ("col", "row")


def test_withdrawing_sms_from_the_preference_centre(
    served: tuple[Person, str], browser: Any
) -> None:
    side, base = served
    assert side.decide("p1", "sms")["allowed"] is True
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(f"{base}/p/{side.token()}")
    _accessible(page, "fr")
    assert "J'accepte les offres de Shop par sms." in page.inner_text("main")
    _shot(page, "preferences-before")
    stop = page.get_by_role("button", name="Ne plus recevoir de SMS de shop")
    for _ in range(20):  # by keyboard: Tab to the button, Enter
        if page.evaluate("document.activeElement.innerText") == stop.inner_text():
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.innerText") == stop.inner_text()
    # Enter submits the form; wait for the answer page, not for the page already loaded
    # (a bare wait_for_load_state returns at once and raced the POST on a slow runner).
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Votre choix est enregistré" in page.inner_text("main")
    assert "Opposition enregistrée le" in page.inner_text("main")
    _accessible(page, "fr")
    _shot(page, "preferences-after")
    withdrawal = next(e for e in side.events() if e["type"] == "withdrawal")
    assert (withdrawal["channel"], withdrawal["sender"]) == ("sms", "shop")
    proof = withdrawal["proof"]
    assert proof["wording_text"] == "Ne plus recevoir de SMS de shop"
    assert proof["evidence"]["ip"] == "127.0.0.0"  # truncated to /24
    assert "Chrome" in proof["evidence"]["user_agent"]
    decided = side.decide("p1", "sms")
    assert decided["allowed"] is False
    assert side.decide("p1", "email")["allowed"] is True


def _bad_link(side: Person, kind: str) -> str:
    token = side.token()
    if kind == "expired":
        return side.token(days=0)
    if kind == "other person":  # p2's payload under p1's signature
        other = make_token(links_key(parse_url(side.url), side.env), "p2", "shop", NOW_PLUS)
        return ".".join([*other.split(".")[:2], token.split(".")[2]])
    return token[:-2] + ("00" if token[-2:] != "00" else "11")


NOW_PLUS = datetime.now(UTC) + timedelta(days=30)


@pytest.mark.parametrize(
    ("kind", "status", "said"),
    [
        ("forged", 403, "This link is not valid"),
        ("other person", 403, "This link is not valid"),
        ("expired", 410, "This link has expired"),
    ],
)
def test_a_bad_link_shows_a_refusal_and_changes_nothing(
    served: tuple[Person, str], browser: Any, kind: str, status: int, said: str
) -> None:
    side, base = served
    before = side.events(), side.events("p2")
    page = browser.new_page()
    response = page.goto(f"{base}/p/{_bad_link(side, kind)}?lang=en")
    assert response.status == status
    _accessible(page, "en")
    assert said in page.inner_text("main") and "Nothing was changed" in page.inner_text("main")
    assert page.get_by_role("alert").count() == 1
    assert page.get_by_role("button").count() == 0
    _shot(page, f"refused-{kind.replace(' ', '-')}")
    assert (side.events(), side.events("p2")) == before


def test_unsubscribe_get_changes_nothing_and_the_button_objects(
    served: tuple[Person, str], browser: Any
) -> None:
    side, base = served
    before = side.events()
    page = browser.new_page()
    page.goto(f"{base}/u/{side.token()}")
    _accessible(page, "fr")
    _shot(page, "unsubscribe-confirm")
    assert side.events() == before
    assert side.decide("p1", "email")["allowed"] is True
    with page.expect_navigation():
        page.get_by_role("button", name="Me désabonner").click()
    assert "opposition est enregistrée" in page.inner_text("main")
    _shot(page, "unsubscribe-done")
    assert side.events()[-1]["via"] == "unsubscribe_link"
    assert side.decide("p1", "email")["allowed"] is False


def test_the_dashboard_renders_its_charts(served: tuple[Person, str], browser: Any) -> None:
    side, base = served
    side.client.post(f"/u/{side.token()}")
    context = browser.new_context(extra_http_headers=side.headers())
    page = context.new_page()
    response = page.goto(f"{base}/dpo")
    assert response.status == 200
    _accessible(page, "fr")
    charts = page.get_by_role("img")
    assert charts.count() == 4  # consents, withdrawals, objections, refusals during calls
    for chart in charts.all():
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
    assert page.locator("rect").count() == 48  # twelve months a chart
    _shot(page, "dpo-dashboard")
    context.close()


def test_a_dpo_signs_in_by_keyboard_and_out_again(served: tuple[Person, str], browser: Any) -> None:
    from licite.service.keys import create_key

    side, base = served
    with side.ledger() as ledger:
        key = create_key(ledger, "admin", "Claire Martin, DPO")[0]
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(f"{base}/dpo")
    assert response.status == 401  # no session: the sign-in form, nothing of the dashboard
    assert page.get_by_role("img").count() == 0
    _accessible(page, "fr")
    _shot(page, "dpo-sign-in")
    field = page.get_by_label("Clé d'administration")
    field.focus()
    page.keyboard.type(key)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/dpo"
    assert page.get_by_text("Connecté en tant que Claire Martin, DPO.").count() == 1
    assert page.get_by_role("img").count() == 4
    cookie = next(c for c in context.cookies() if c["name"] == "licite_dpo")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/dpo"
    _accessible(page, "fr")
    _shot(page, "dpo-signed-in")
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    assert not [c for c in context.cookies() if c["name"] == "licite_dpo"]
    assert page.goto(f"{base}/dpo").status == 401
    context.close()
