"""The law's values live once, in law/parameters.yaml (issue 14).

The mutation test: for every dated parameter, a copy of the law with that value
changed makes `licite decide` and the batch scrub's SQL decide an edge case the
same way — and differently from the unchanged law. Were a second copy of the
value left anywhere (a literal in the SQL, a constant in a rule), one path would
keep the old value and the two would part.
"""

from __future__ import annotations

import copy
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from licite.case import load_case
from licite.engine import decide
from licite.errors import CatalogueError, NotModelled
from licite.moments import micros, parse_moment
from licite.parameters import french_number, parameters, period, use_law
from tests.builders import case, collected, email_consent
from tests.test_scrub_differential import scrub_in_duckdb

LAW = Path(__file__).resolve().parents[1] / "src" / "licite" / "law"

Outcome = tuple[Any, ...]


def _phone(at: str, history: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
    checked = request.pop("checked", None)
    sender: dict[str, Any] = {"id": "shop", "kind": "company"}
    if checked:
        sender["bloctel_checked_at"] = checked
    ask = {"action": "contact", "channel": "phone_call", "purpose": "commercial", "offer": "shoes"}
    return case(at, request={**ask, **request}, history=history, sender=sender)


def _calls(*moments: str, outcome: str = "no_answer") -> list[dict[str, Any]]:
    return [{"at": m, "type": "call", "sender": "shop", "outcome": outcome} for m in moments]


RETAIN = {"action": "retain"}
ANALYSE = {"action": "analyze", "processing": "ads", "analysis_purpose": "advertising"}
B2B = {"kind": "professional", "email": "achats@usine.example"}

# parameter: (the changed value, an edge case the change decides differently)
EDGES: dict[str, tuple[Any, Callable[[], dict[str, Any]]]] = {
    "prospect_retention": (
        "2 years",
        lambda: case(
            "2026-06-01T10:00:00+02:00", request=RETAIN, history=[collected("2024-03-01")]
        ),
    ),
    "customer_retention": (
        "2 years",
        lambda: case(
            "2026-06-01T10:00:00+02:00",
            request=RETAIN,
            history=[collected("2020-01-01"), {"at": "2024-03-01", "type": "customer"}],
        ),
    ),
    "suppression_record": (
        "2 years",
        lambda: case(
            "2026-06-01T10:00:00+02:00",
            request=RETAIN,
            history=[collected("2019-01-01"), {"at": "2024-03-01", "type": "objection"}],
        ),
    ),
    "analysis_consent": (
        "6 months",
        lambda: case(
            "2026-09-01T10:00:00+02:00",
            request=ANALYSE,
            history=[
                {
                    "at": "2026-01-10",
                    "type": "consent",
                    "processing": "ads",
                    "purpose": "advertising",
                    "sender": "shop",
                    "mechanism": "checkbox",
                }
            ],
        ),
    ),
    "inform_delay": (
        "2 months",
        lambda: case(
            "2026-10-15T10:00:00+02:00",
            request={"action": "contact", "channel": "email", "purpose": "commercial"}
            | {"relates_to_profession": True},
            person=B2B,
            history=[collected("2026-09-01", method="scraping", informed=False)],
        ),
    ),
    "bloctel_freshness": (
        "2 months",
        lambda: _phone(
            "2025-10-07T11:00:00+02:00", [collected("2025-01-10")], checked="2025-08-20"
        ),
    ),
    "call_window": (
        "10 days",
        lambda: _phone(
            "2025-10-07T11:00:00+02:00",
            [
                collected("2025-01-10"),
                *_calls("2025-09-20", "2025-09-22", "2025-09-24", "2025-09-25"),
            ],
            checked="2025-10-01",
        ),
    ),
    "call_cap": (
        5,
        lambda: _phone(
            "2025-10-07T11:00:00+02:00",
            [
                collected("2025-01-10"),
                *_calls("2025-09-20", "2025-09-22", "2025-09-24", "2025-09-25"),
            ],
            checked="2025-10-01",
        ),
    ),
    "refusal_cooldown": (
        "30 days",
        lambda: _phone(
            "2025-10-07T11:00:00+02:00",
            [collected("2025-01-10"), *_calls("2025-08-28", outcome="refused")],
            checked="2025-10-01",
        ),
    ),
    "calling_hours": (
        [["09:00", "13:00"], ["14:00", "20:00"]],
        lambda: _phone(
            "2025-10-07T09:30:00+02:00", [collected("2025-01-10")], checked="2025-10-01"
        ),
    ),
    "canvassing_ranges": (
        ["+33162", "+33163"],
        lambda: _phone(
            "2025-10-07T11:00:00+02:00",
            [collected("2025-01-10")],
            checked="2025-10-01",
            caller_id="09 48 20 30 40",
        ),
    ),
    "lcen": (
        "2004-07-01",
        lambda: case("2004-06-25T10:00:00+02:00", history=[email_consent("2004-06-23")]),
    ),
    "phone_rules": (
        "2016-06-10",
        lambda: _phone(
            "2016-06-03T11:00:00+02:00", [collected("2016-01-10")], checked="2016-06-01"
        ),
    ),
    "correspondence_decree": (
        "2017-04-10",
        lambda: case(
            "2017-04-03T10:00:00+02:00", request=ANALYSE | {"analysis_purpose": "display"}
        ),
    ),
    "correspondence_transition_ends": (
        "2017-11-01",
        lambda: case(
            "2017-10-10T10:00:00+02:00", request=ANALYSE | {"processing_since": "2016-01-01"}
        ),
    ),
    "gdpr": (
        "2018-06-25",
        lambda: case(
            "2018-06-01T10:00:00+02:00",
            history=[
                email_consent("2018-01-02"),
                collected("2018-01-10", method="list_purchase", partner_consent=True)
                | {"partners_named": True},
            ],
        ),
    ),
    "energy_renovation_phone_ban": (
        "2020-08-26",
        lambda: _phone(
            "2020-08-04T11:00:00+02:00",
            [collected("2020-01-10")],
            checked="2020-08-01",
            sector="energy_renovation",
        ),
    ),
    "caller_id": (
        "2023-02-01",
        lambda: _phone(
            "2023-01-10T11:00:00+01:00",
            [collected("2022-01-10")],
            checked="2023-01-02",
            caller_id="01 44 55 66 77",
        ),
    ),
    "calling_rules": (
        "2023-04-01",
        lambda: _phone(
            "2023-03-04T11:00:00+01:00", [collected("2022-01-10")], checked="2023-03-01"
        ),
    ),
    "phone_reform_published": (
        "2025-07-15",
        lambda: _phone(
            "2025-07-08T11:00:00+02:00", [collected("2025-01-10")], checked="2025-07-01"
        ),
    ),
    "sector_ban_extended": (
        "2025-08-02",
        lambda: case(
            "2025-07-10T10:00:00+02:00",
            request={"action": "contact", "channel": "email", "purpose": "commercial"}
            | {"sector": "home_adaptation"},
            history=[collected("2025-01-10"), email_consent("2025-01-10")],
        ),
    ),
    "phone_opt_in": (
        "2026-09-11",
        lambda: _phone(
            "2026-08-20T11:00:00+02:00", [collected("2026-01-10")], checked="2026-08-15"
        ),
    ),
}


def test_every_parameter_has_an_edge() -> None:
    assert set(EDGES) == set(parameters())


def _mutated(tmp: Path, name: str, value: Any) -> Path:
    law = tmp / "law"
    shutil.copytree(LAW, law, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = yaml.safe_load((law / "parameters.yaml").read_text(encoding="utf-8"))
    steps = data["parameters"][name]["values"]
    steps[-1]["value"] = (
        date.fromisoformat(value) if data["parameters"][name]["kind"] == "date" else value
    )
    (law / "parameters.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return law


def _decided(document: dict[str, Any]) -> Outcome:
    try:
        d = decide(load_case(copy.deepcopy(document)))
    except NotModelled:
        return ("not modelled",)
    expires = None if d.expires_at is None else micros(d.expires_at)
    obligations = frozenset(o.code for o in d.obligations)
    warnings = frozenset(w.code for w in d.warnings)
    return (d.allowed, d.basis, frozenset(d.codes), obligations, warnings, expires)


def _scrubbed(document: dict[str, Any]) -> Outcome:
    campaign = {k: v for k, v in document.items() if k not in ("person", "history")}
    entry = {"person": document["person"], "history": document["history"]}
    try:
        rows = scrub_in_duckdb(campaign, [entry])
    except NotModelled:
        return ("not modelled",)
    allowed, basis, reasons, obligations, warnings, expires = rows[0]
    return (
        allowed,
        basis,
        frozenset(reasons),
        frozenset(obligations),
        frozenset(warnings),
        expires,
    )


@pytest.mark.parametrize("name", sorted(EDGES))
def test_a_changed_value_changes_both_paths_alike(name: str, tmp_path: Path) -> None:
    value, build = EDGES[name]
    document = build()
    before = _decided(document)
    assert _scrubbed(document) == before, "the unchanged law: scrub and decide agree"
    with use_law(_mutated(tmp_path, name, value)):
        after = _decided(document)
        scrubbed = _scrubbed(document)
    assert after != before, f"{name}: the edge case must cross the changed value"
    assert scrubbed == after, f"{name}: the scrub kept another copy of the value"


def _broken(tmp: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    law = tmp / "law"
    shutil.copytree(LAW, law, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = yaml.safe_load((law / "parameters.yaml").read_text(encoding="utf-8"))
    change(data["parameters"])
    (law / "parameters.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return law


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p["call_cap"]["values"].append(copy.deepcopy(p["call_cap"]["values"][0])),
            "overlap",
        ),
        (lambda p: p["call_cap"]["values"][0]["reference"].pop("url"), "reference"),
        (lambda p: p["prospect_retention"]["values"][0].update(value="three years"), "N years"),
        (lambda p: p["calling_hours"]["values"][0].update(value=[["14:00", "13:00"]]), "windows"),
        (lambda p: p["call_cap"].update(kind="amount"), "kind"),
    ],
    ids=["overlap", "no-reference", "bad-period", "bad-hours", "bad-kind"],
)
def test_the_catalogue_refuses_a_broken_parameter(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with use_law(_broken(tmp_path, change)), pytest.raises(CatalogueError) as error:
        parameters()
    assert message in error.value.text.en


def test_a_value_applies_from_its_day() -> None:
    # Two values of the prospect period (NS-48, then délib. 2021-131): each from its day.
    steps = parameters()["prospect_retention"].steps
    assert len(steps) >= 2
    day = steps[1].since
    assert period("prospect_retention", parse_moment(day.isoformat())) == steps[1].value


def test_periods_read_in_french_and_english() -> None:
    three = period("prospect_retention", parse_moment("2026-01-01"))
    assert (three.text.fr, three.text.en) == ("trois ans", "3 years")
    assert [french_number(n) for n in (1, 21, 60, 71, 80, 99)] == [
        "un",
        "vingt et un",
        "soixante",
        "soixante et onze",
        "quatre-vingts",
        "quatre-vingt-dix-neuf",
    ]


def test_rules_as_of_shows_the_values_in_force() -> None:
    import json
    import subprocess
    import sys

    shown = subprocess.run(
        [
            str(Path(sys.executable).with_name("licite")),
            "--lang",
            "en",
            "rules",
            "--as-of",
            "2026-12-03",
            "--values",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    values = {row["name"]: row for row in json.loads(shown.stdout)}
    assert set(values) == set(parameters())
    assert values["call_cap"]["value"] == "4"
    assert values["prospect_retention"]["value"] == "3 years"
    assert values["phone_opt_in"]["value"] == "2026-08-11"
    assert values["prospect_retention"]["since"] == "2021-09-23"
    assert values["prospect_retention"]["url"].startswith("https://")


def _legal_patterns() -> dict[str, re.Pattern[str]]:
    """A pattern for each value of law/parameters.yaml as code would spell it."""
    out: dict[str, re.Pattern[str]] = {}
    for p in parameters().values():
        for step in p.steps:
            v = step.value
            if p.kind == "date":
                out[v.isoformat()] = re.compile(re.escape(v.isoformat()))
            elif p.kind == "period":
                n, unit = (v.days, "days") if v.days else (v.months, "months")
                if unit == "months" and n % 12 == 0:
                    out[f"years={n // 12}"] = re.compile(rf"\byears=-?{n // 12}\b")
                out[f"{unit}={n}"] = re.compile(rf"\b{unit}=-?{n}\b")
                out[f"{n} {unit}"] = re.compile(rf"\b{n} {unit}\b")
            elif p.kind == "hours":
                for a, b in v:
                    for t in (a, b):
                        out[f"{t:%H:%M}"] = re.compile(rf"(?<![\d:T]){t:%H:%M}(?![\d:])")
                        out[f"time({t.hour}"] = re.compile(rf"\btime\({t.hour}\b")
            elif p.kind == "count":
                out[f">= {v}"] = re.compile(rf">= {v}\b")
                out[f"{v} calls"] = re.compile(rf"\b{v} calls\b")
    return out


def test_no_legal_value_is_written_outside_the_law() -> None:
    # Issue 14: a legal number (a period, a cap, an hour, a day a rule starts) is written in
    # law/*.yaml only — a second copy would be forgotten when the law changes.
    source = LAW.parent
    found = []
    patterns = _legal_patterns()
    for path in sorted(source.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "# not law:" in line:  # a product choice that happens to look like one
                continue
            for name, pattern in patterns.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(source)}:{number}: {name}: {line.strip()}")
    assert not found, "\n".join(found)
