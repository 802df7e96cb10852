"""The access-request dossier (GDPR art. 15): what a person is owed, not the chain's JSON.

Each test builds a real ledger (SQLite, and PostgreSQL when reachable), exports the
dossier through the command line and reads what a person would read.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.pdf_support import require_pdf
from tests.test_ledger_support import (
    BACKENDS,
    environ,
    event_line,
    person_line,
    run,
    store_url,
    write_lines,
)

WORDING = "J'accepte de recevoir les offres de Shop par e-mail"
LINES: list[dict[str, Any]] = [
    person_line("p1", email="marie@example.fr", phone="06 12 34 56 78", postal_code="75011"),
    event_line(
        "p1", "2025-10-25T09:00:00+02:00", "collected", method="scraping", purpose="commercial"
    ),
    {
        **event_line(
            "p1",
            "2025-10-25T09:05:00+02:00",
            "consent",
            channel="email",
            purpose="commercial",
            sender="shop",
            mechanism="checkbox",
        ),
        "proof": {
            "form": "newsletter-v3",
            "wording_text": WORDING,
            "ip": "192.0.2.1",
            "recorded_by": "signup-service",
        },
    },
    event_line(
        "p1", "2026-02-01T10:00:00+01:00", "objection", channel="sms", sender="shop", via="stop_sms"
    ),
]
AT = "2026-06-01T12:00:00+02:00"


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    with store_url(request.param, tmp_path) as url:
        settings = environ(url, tmp_path)
        done = run(["ledger", "import", str(write_lines(tmp_path / "in.jsonl", LINES))], settings)
        assert done.exit_code == 0, done.output
        yield settings


def _export(env: dict[str, str], *args: str, lang: str = "fr") -> str:
    done = run(["--lang", lang, "ledger", "export", "--person", "p1", "--at", AT, *args], env)
    assert done.exit_code == 0, done.output
    return done.output


def test_json_dossier_holds_what_article_15_requires(env: dict[str, str]) -> None:
    content = json.loads(_export(env, "--format", "json"))
    assert content["purposes"] == ["commercial"]
    assert content["recipients"] == ["shop"]
    assert {"email", "phone", "postal_code", "consents", "provenance"} <= set(content["categories"])
    (source,) = content["sources"]
    assert source["method"] == "scraping" and source["risky"] is True
    assert source["informed"] is None  # never given: unknown, not false
    (consent,) = content["consents"]
    assert consent["mechanism"] == "checkbox"
    assert consent["proof"]["wording_text"] == WORDING
    assert consent["proof"]["form"] == "newsletter-v3"
    standing = {(s["sender"], s["channel"]): s["decision"] for s in content["standings"]}
    assert standing[("shop", "sms")]["allowed"] is False
    assert "OBJECTED" in [r["code"] for r in standing[("shop", "sms")]["reasons"]]
    (retention,) = content["retention"]
    assert retention["kept"] is True and retention["until"].startswith("2028-10-25")
    assert content["annex"]["chain"]["signed"]["signature"]


def test_html_dossier_reads_in_french_with_unknowns(env: dict[str, str]) -> None:
    page = _export(env, "--format", "html")
    for heading in (
        "Finalités du traitement",
        "Catégories de données",
        "Destinataires",
        "Origine des données (RGPD art. 14(2)(f))",
        "Durée de conservation",
        "Vos droits",
        "Pouvez-vous être contacté aujourd&#x27;hui ?",
        "Consentements",
        "Oppositions",
        "Annexe",
    ):
        assert heading in page, heading
    assert "méthode à risque" in page
    assert '<span class="unknown">inconnu</span>' in page
    assert "25/10/2025" in page and "25/10/2028" in page
    assert "CNIL" in page and "plaintes" in page
    assert "J&#x27;accepte de recevoir les offres" in page


def test_english_dossier_says_gdpr(env: dict[str, str]) -> None:
    page = _export(env, "--format", "html", lang="en")
    assert "Access-request dossier" in page and "GDPR art. 14(2)(f)" in page
    assert "RGPD" not in page
    assert "25 Oct 2028" in page


def test_pdf_dossier_has_the_text(env: dict[str, str], tmp_path: Path) -> None:
    require_pdf()
    out = tmp_path / "dossier.pdf"
    _export(env, "--format", "pdf", "--out", str(out))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "RGPD art. 15" in text
    assert "marie@example.fr" in text
    assert "newsletter-v3" in text.replace("\n", "")  # a narrow cell may wrap it


def test_existing_file_is_not_overwritten(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "mine.html"
    out.write_text("not licite's")
    done = run(["ledger", "export", "--person", "p1", "--format", "html", "--out", str(out)], env)
    assert done.exit_code == 2
    assert out.read_text() == "not licite's"


def test_after_erasure_the_dossier_says_what_and_when(env: dict[str, str]) -> None:
    erased = run(["ledger", "erase", "--person", "p1"], env)
    assert erased.exit_code == 0, erased.output
    content = json.loads(_export(env, "--format", "json"))
    assert content["data"]["email"] is None and content["data"]["phone"] is None
    assert content["erasure"]["at"] is not None
    assert content["consents"][0]["proof"]["evidence"] == "erased"
    page = _export(env, "--format", "html")
    assert "marie@example.fr" not in page and "192.0.2" not in page
    assert "Données effacées le " in page
    assert "(Europe/Paris)" in page
    assert "effacé" in page
