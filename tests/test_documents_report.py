"""The campaign report a DPO files: which campaign, which file, which rules, in the reader's
formats; and the same as a PDF, checked by its text."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from licite.catalogue import catalogue
from licite.i18n import Lang
from licite.scrub.run import scrub
from tests.pdf_support import require_pdf
from tests.test_ledger_support import environ, event_line, person_line, run, write_lines

SMS = {
    "id": "printemps-sms",
    "at": "2026-03-10T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {
        "action": "contact",
        "channel": "sms",
        "purpose": "commercial",
        "offer": "shoes",
        "message": {"identifies_sender": True, "opt_out": True},
    },
}


def _scrub(tmp: Path, lang: Lang, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    env = environ(f"sqlite:///{tmp / 'ledger.db'}", tmp)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    lines = [
        person_line("1", email="a@example.fr", phone="0612345678"),
        person_line("2", email="b@example.fr", phone="0612345679"),
        event_line(
            "1", "2025-10-25", "consent", channel="sms", purpose="commercial", sender="shop"
        ),
        event_line("2", "2025-10-25", "collected", method="scraping", purpose="commercial"),
    ]
    assert run(["ledger", "import", str(write_lines(tmp / "in.jsonl", lines))], env).exit_code == 0
    contacts = tmp / "liste-printemps.csv"
    rows = "".join(f"c{i},consumer,,06123{i:05d},75011\n" for i in range(1234))
    contacts.write_text(
        "id,kind,email,phone,postal_code\n1,consumer,a@example.fr,0612345678,75011\n"
        "2,consumer,b@example.fr,0612345679,75011\n" + rows + "z,martian,,0612345600,\n",
        encoding="utf-8",
    )
    campaign = tmp / "campaign.json"
    campaign.write_text(json.dumps(SMS), encoding="utf-8")
    out = tmp / f"out-{lang}"
    scrub(contacts, campaign, out, database_url=env["LICITE_DATABASE_URL"], lang=lang, pdf=True)
    return out, contacts


def test_report_names_the_campaign_the_file_and_the_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, contacts = _scrub(tmp_path, "fr", monkeypatch)
    page = (out / "report.html").read_text(encoding="utf-8")
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "Campagne « printemps-sms » de shop : prospection commerciale par SMS" in page
    assert "liste-printemps.csv" in page
    assert hashlib.sha256(contacts.read_bytes()).hexdigest() in page
    assert "10/03/2026 à 11:00 (CET)" in page
    assert "Version de la spécification" in page and "0.1.0" in page
    assert "{&#x27;action&#x27;" not in page and "{'action'" not in page  # no Python repr
    assert "1\u202f2" in page  # 1 2xx blocked rows, French thousands
    assert "Lignes rejetées" in page and 'href="rejected.csv"' in page
    assert "martian" in page  # the rejected line as written
    assert "⚠" in page  # scraping flagged
    # Only the rules that decided this campaign: nothing about phone calls or analysis.
    rules = page.split("Règles appliquées à cette campagne")[1]
    decided = set(summary["by_basis"]) | set(summary["by_reason"])
    listed = {code for code in catalogue() if f"<b>{code}</b>" in rules}
    assert decided <= listed
    assert not [c for c in listed if c.startswith(("PHONE-", "ANALYSIS-", "BLOCTEL-"))]
    assert len(listed) < 15


def test_english_report_uses_english_formats_and_citations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = _scrub(tmp_path, "en", monkeypatch)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Campaign “printemps-sms” by shop: commercial marketing by SMS" in page
    assert "10 Mar 2026 at 11:00 (CET)" in page
    assert "1,2" in page and "RGPD" not in page and "GDPR" in page


def test_report_pdf_has_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_pdf()
    out, contacts = _scrub(tmp_path, "fr", monkeypatch)
    reader = PdfReader(io.BytesIO((out / "report.pdf").read_bytes()))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert "printemps-sms" in text
    assert hashlib.sha256(contacts.read_bytes()).hexdigest()[:16] in text
    assert "PROSPECT-NO-CONSENT" in text.replace(" ", "")
