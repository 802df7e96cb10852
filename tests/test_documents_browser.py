"""report.html and the HTML dossier in a real browser (Debian's chromium through Playwright).

At 1280 px and 390 px: nothing wider than the window, headings in order, every
chart named and every bar labelled with its value, numbers written the way the
page's language writes them. Screenshots are kept in build/test-artifacts (or
$LICITE_TEST_ARTIFACTS). Skipped, with the reason, where chromium or Playwright
is missing; under CI=true that is a failure.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from licite.i18n import LANGS
from licite.scrub.run import scrub
from tests.builders import REPO
from tests.test_ledger_support import environ, event_line, person_line, run, write_lines

CHROMIUM = Path(os.environ.get("LICITE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("LICITE_TEST_ARTIFACTS", REPO / "build" / "test-artifacts"))
WIDTHS = (1280, 390)
CAMPAIGN = {
    "id": "soldes-hiver",
    "at": "2026-03-10T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"},
}
# French: 1 234 with a narrow no-break space, 12,5 %; English: 1,234 and 12.5%.
NUMBER = {
    "fr": re.compile(r"^\d{1,3}(\u202f\d{3})*( \(\d+,\d\u00a0%\))?$"),
    "en": re.compile(r"^\d{1,3}(,\d{3})*( \(\d+\.\d%\))?$"),
}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright (python package) is not installed")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A scrub of 1 502 rows (thousands to format) and a person's dossier, in both languages."""
    tmp = tmp_path_factory.mktemp("documents")
    env = environ(f"sqlite:///{tmp / 'ledger.db'}", tmp)
    lines = [
        person_line("p1", email="marie@example.fr"),
        event_line("p1", "2025-10-25", "collected", method="list_purchase", purpose="commercial"),
        event_line(
            "p1", "2025-10-25", "consent", channel="email", purpose="commercial", sender="shop"
        ),
    ]
    assert run(["ledger", "import", str(write_lines(tmp / "in.jsonl", lines))], env).exit_code == 0
    contacts = tmp / "liste.csv"
    body = "".join(f"c{i},consumer,c{i}@example.fr,,75011\n" for i in range(1500))
    contacts.write_text(
        "id,kind,email,phone,postal_code\np1,consumer,marie@example.fr,,75011\n"
        + body
        + "x,bogus,a@b.fr,,\n",
        encoding="utf-8",
    )
    campaign = tmp / "campaign.json"
    campaign.write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    found: dict[str, Path] = {}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        for lang in LANGS:
            out = tmp / f"out-{lang}"
            scrub(contacts, campaign, out, database_url=env["LICITE_DATABASE_URL"], lang=lang)
            found[f"report-{lang}"] = out / "report.html"
            dossier = tmp / f"dossier-{lang}.html"
            done = run(
                [
                    "--lang",
                    lang,
                    "ledger",
                    "export",
                    "--person",
                    "p1",
                    "--format",
                    "html",
                    "--at",
                    "2026-03-10",
                    "--out",
                    str(dossier),
                ],
                env,
            )
            assert done.exit_code == 0, done.output
            found[f"dossier-{lang}"] = dossier
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["report-fr", "report-en", "dossier-fr", "dossier-en"])
def test_page_fits_reads_in_order_and_labels_its_charts(
    browser: Any, pages: dict[str, Path], name: str, width: int
) -> None:
    lang = name.rsplit("-", 1)[1]
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(pages[name].as_uri())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " [...document.querySelectorAll('body *')].filter(e => {"
            "   const r = e.getBoundingClientRect();"
            "   return r.right > document.documentElement.clientWidth + 1"
            "     && !e.closest('.box'); }).map(e => e.tagName + '.' + e.className).slice(0, 5)]"
        )
        assert overflow[0] <= overflow[1], f"{name} at {width}px scrolls sideways: {overflow}"
        assert not overflow[2], f"{name} at {width}px: elements past the edge {overflow[2]}"
        levels = page.evaluate(
            "() => [...document.querySelectorAll('h1,h2,h3,h4')].map(h => +h.tagName[1])"
        )
        assert levels[0] == 1 and levels.count(1) == 1
        for before, after in pairwise(levels):
            assert after <= before + 1, f"{name}: heading level jumps {before} → {after}"
        charts = page.evaluate(
            "() => [...document.querySelectorAll('figure.chart')].map(f => ({"
            " caption: f.querySelector('figcaption')?.innerText.trim(),"
            " bars: [...f.querySelectorAll('.bar')].map(b => ({"
            "   label: b.querySelector('.label').innerText.trim(),"
            "   value: b.querySelector('.value').innerText.trim(),"
            "   cut: b.querySelector('.label').scrollWidth > b.querySelector('.label').clientWidth"
            " })) }))"
        )
        if name.startswith("report"):
            assert charts, "the report has charts"
        for chart in charts:
            assert chart["caption"]
            for bar in chart["bars"]:
                assert bar["label"] and not bar["cut"], bar
                assert NUMBER[lang].match(bar["value"]), (lang, bar["value"])
        if name.startswith("report"):
            text = page.inner_text("body")
            big = "1\u202f501" if lang == "fr" else "1,501"
            assert big in text, f"{name}: 1 501 blocked rows written for {lang}"
    finally:
        page.close()
