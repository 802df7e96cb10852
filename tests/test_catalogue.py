"""The rule catalogue: every code cited, dated and explained in both languages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from licite.catalogue import KINDS, catalogue, check_citation, in_force, laws
from licite.errors import CatalogueError, NotModelled
from licite.rules.findings import BASIS_PRECEDENCE

SOURCES = Path(__file__).resolve().parent.parent / "src" / "licite"
LICITE = Path(sys.executable).with_name("licite")
CODE_IN_SOURCE = re.compile(r"\"([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\"")


def codes_the_engine_can_emit() -> set[str]:
    found: set[str] = set()
    for path in [*(SOURCES / "rules").glob("*.py"), SOURCES / "engine.py"]:
        found.update(CODE_IN_SOURCE.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_code_the_rules_name_is_in_the_catalogue() -> None:
    emitted = codes_the_engine_can_emit()
    assert len(emitted) > 40
    assert emitted <= set(catalogue()), emitted - set(catalogue())


def test_every_catalogue_code_is_used() -> None:
    assert set(catalogue()) <= codes_the_engine_can_emit()


def test_every_spec_code_is_present() -> None:
    spec = {
        "PROSPECT-NO-CONSENT",
        "ANALYSIS-NO-CONSENT",
        "PHONE-NO-CONSENT",
        "POLITICAL-NO-CONSENT",
        "CONSENT-EXPIRED",
        "CONSENT-WITHDRAWN",
        "CONSENT-NOT-SPECIFIC",
        "CONSENT-VIA-TERMS",
        "CONSENT-PRETICKED",
        "CONSENT-MISLEADING",
        "CONSENT-IMPLICIT",
        "SOFT-OPT-IN-NOT-ANALOGOUS",
        "SOFT-OPT-IN-NOT-OFFERED",
        "B2B-NOT-RELEVANT",
        "ANALYSIS-PURPOSE-FORBIDDEN",
        "MSG-SENDER-HIDDEN",
        "MSG-NO-OPT-OUT",
        "MSG-SUBJECT-UNRELATED",
        "OBL-IDENTIFY-SENDER",
        "OBL-OPT-OUT-MEANS",
        "OBJECTED",
        "PROVENANCE-TERMS-FORBID",
        "PROVENANCE-NOT-INFORMED",
        "OBL-ART14-INFORM",
        "PROVENANCE-NO-PARTNER-CONSENT",
        "CONSENT-NO-PROOF",
        "PROVENANCE-PURPOSE-DIVERSION",
        "BLOCTEL-REGISTERED",
        "BLOCTEL-LIST-STALE",
        "PHONE-OUTSIDE-HOURS",
        "PHONE-FORBIDDEN-DAY",
        "PHONE-FREQUENCY-CAP",
        "PHONE-REFUSAL-COOLDOWN",
        "SECTOR-BAN",
        "RETENTION-EXPIRED",
        "POLITICAL-ELECTION-ENDED",
        "POLITICAL-OPINION-INFERRED",
        *BASIS_PRECEDENCE,
    }
    assert spec <= set(catalogue())


@pytest.mark.parametrize("code", sorted(catalogue()))
def test_each_code_is_cited_dated_and_bilingual(code: str) -> None:
    rule = catalogue()[code]
    assert rule.kind in KINDS
    assert rule.versions and all(v.citation for v in rule.versions)
    assert rule.since >= date(2004, 6, 22)
    assert rule.text.fr and rule.text.en and rule.text.fr != rule.text.en
    if rule.kind in ("refusal", "detail", "block"):
        assert rule.remedy is not None and rule.remedy.fr and rule.remedy.en


def test_bases_are_bases() -> None:
    assert all(catalogue()[code].kind == "basis" for code in BASIS_PRECEDENCE)


def test_one_file_per_legal_text() -> None:
    assert [law.name for law in laws()] == sorted(
        p.stem for p in (SOURCES / "law").glob("*.yaml")
    ) or len(laws()) == 8
    for law in laws():
        assert law.url.startswith("https://")


@pytest.mark.parametrize(
    "citation",
    [
        "Décret 76-570 du 40/06/1976",
        "Décret n° 76-570 du 31 juin 1976",
        "Some blog post",
        "",
    ],
)
def test_bad_citations_are_refused(citation: str) -> None:
    def bad(problem: str) -> CatalogueError:
        from licite.i18n import Text

        return CatalogueError(Text(problem, problem))

    with pytest.raises(CatalogueError):
        check_citation(citation, bad)


def test_rules_in_force_follow_the_dates() -> None:
    codes_2016 = {r.code for r, _ in in_force(date(2016, 5, 31))}
    codes_2026 = {r.code for r, _ in in_force(date(2026, 8, 11))}
    assert "BLOCTEL-REGISTERED" not in codes_2016
    assert "PHONE-NO-CONSENT" in codes_2026 and "BLOCTEL-REGISTERED" not in codes_2026
    assert "TRANSITIONAL-PERIOD" not in codes_2026
    with pytest.raises(NotModelled):
        in_force(date(2004, 6, 21))


def test_rules_command_json() -> None:
    done = subprocess.run(
        [str(LICITE), "--lang", "en", "rules", "--as-of", "2018-05-25", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(done.stdout)
    objected = next(row for row in rows if row["code"] == "OBJECTED")
    assert objected["citation"].startswith("GDPR art. 21")  # English throughout (issue 16)
    assert objected["citations"]["fr"].startswith("RGPD art. 21")
    assert objected["in_force_from"] == "2018-05-25"
    assert all(row["explanations"]["fr"] and row["explanations"]["en"] for row in rows)


def test_rules_command_refuses_a_date_outside_the_model() -> None:
    done = subprocess.run(
        [str(LICITE), "rules", "--as-of", "1999-01-01"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 3 and done.stderr
    bad = subprocess.run(
        [str(LICITE), "rules", "--as-of", "someday"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "someday" in bad.stderr
