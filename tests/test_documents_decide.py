"""`licite decide` names its facts: evidence in --json, local dates in the readable form,
English citations with --lang en, the case read from standard input, whole help texts."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.case import load_case
from licite.catalogue import laws
from licite.commands import cli
from licite.engine import decide
from licite.errors import NotModelled
from licite.explain import explain_decision
from licite.moments import parse_moment
from licite.wording import citation, local_day
from tests.builders import EXAMPLES, case, collected, email_consent
from tests.strategies import cases

_FRENCH = ("RGPD", "CJUE", "C. consom", "C. pén", "délib", "considérant", " du ", " et ", "Loi n")


def _decide(document: dict[str, Any], *args: str, after: tuple[str, ...] = ()) -> str:
    command = [*args, "decide", "-", *after]
    result = CliRunner().invoke(cli, command, input=yaml.safe_dump(document))
    assert result.exit_code == 0, result.output
    return result.output


def _analysis_expired() -> dict[str, Any]:
    return case(
        "2026-11-02T10:00:00+01:00",
        sender={"id": "webmail", "kind": "online_service"},
        request={
            "action": "analyze",
            "processing": "usage-stats",
            "analysis_purpose": "statistics",
        },
        history=[
            {
                "at": "2025-10-25T09:00:00+02:00",
                "type": "consent",
                "purpose": "statistics",
                "processing": "usage-stats",
                "sender": "webmail",
                "mechanism": "checkbox",
            }
        ],
    )


def test_readable_decide_names_the_consent_and_when_it_expired() -> None:
    out = _decide(_analysis_expired())
    assert "consentement du 25/10/2025 par case à cocher" in out
    assert "expiré le 25/10/2026" in out
    assert "2025-10-25" not in out  # local dates, not raw ISO


def test_json_carries_the_evidence_of_each_reason() -> None:
    decision = json.loads(_decide(_analysis_expired(), after=("--json",)))
    expired = next(r for r in decision["reasons"] if r["code"] == "CONSENT-EXPIRED")
    types = [(e["type"], e["at"][:10]) for e in expired["evidence"]]
    assert ("consent", "2025-10-25") in types
    assert ("lapse", "2026-10-25") in types
    assert all(e["at"][-6:] in ("+01:00", "+02:00") for e in expired["evidence"])


def test_basis_carries_its_evidence() -> None:
    document = case("2024-03-01", history=[collected(), email_consent()])
    decision = json.loads(_decide(document, after=("--json",)))
    assert decision["basis"] == "CONSENT"
    assert [e["type"] for e in decision["evidence"]] == ["consent"]
    assert decision["evidence"][0]["mechanism"] == "checkbox"


def test_remedy_about_opens_only_where_an_email_was_opened() -> None:
    base = case("2024-02-01", history=[collected("2020-01-10")])
    without = _decide(base)
    assert "RETENTION-EXPIRED" in without
    assert "ouverture" not in without
    opened = case(
        "2024-02-01",
        history=[
            collected("2020-01-10"),
            {"at": "2023-05-01", "type": "interaction", "kind": "open", "sender": "shop"},
        ],
    )
    assert "une ouverture de courriel ne prolonge pas" in _decide(opened)


def test_english_decisions_cite_the_gdpr_in_english() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        result = CliRunner().invoke(cli, ["--lang", "en", "decide", str(path)])
        assert result.exit_code in (0, 2, 3), result.output
        assert "RGPD" not in result.output, path.name
        assert " du " not in result.output, path.name
        listed = CliRunner().invoke(cli, ["--lang", "en", "decide", str(path), "--json"])
        for reason in json.loads(listed.output).get("reasons", []) if listed.exit_code == 0 else []:
            assert "RGPD" not in reason["citation"]


_CITATIONS = sorted({v.citation for law in laws() for r in law.rules for v in r.versions})


@given(st.sampled_from(_CITATIONS))
def test_every_citation_has_an_english_form(text: str) -> None:
    english = citation(text, "en")
    assert not [w for w in _FRENCH if w in english], english
    assert citation(text, "fr") == text
    # Article numbers survive translation.
    for token in ("L34-5", "21(2)", "226-18-1", "D. 223-9", "L223-1", "C-673/17"):
        assert (token in text) == (token in english)


def test_english_errors_from_standard_input() -> None:
    bad = {"at": "2024-13-01", "sender": {"id": "x"}, "request": {"action": "contact"}}
    result = CliRunner().invoke(cli, ["--lang", "en", "decide", "-"], input=yaml.safe_dump(bad))
    assert result.exit_code == 2
    assert "invalid date" in result.output and "Traceback" not in result.output
    binary = CliRunner().invoke(cli, ["--lang", "en", "decide", "-"], input=b"\xff\xfe\x00")
    assert binary.exit_code == 2
    assert "standard input is not UTF-8" in binary.output


def test_help_lists_whole_sentences() -> None:
    for args in ([], ["ledger"], ["suppress"]):
        out = CliRunner().invoke(cli, [*args, "--help"], terminal_width=100).output
        commands = out.split("Commands:")[1]
        assert "(GDPR art.\n" not in commands and not commands.rstrip().endswith("art.")
        assert "..." not in commands
    erase = CliRunner().invoke(cli, ["ledger", "--help"]).output
    assert "art. 17" in erase


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_evidence_is_of_the_decision_and_never_after_its_moment(document: dict[str, Any]) -> None:
    """For every case: evidence only for the basis and the reasons; an event cited is one of
    the history at or before the moment; a lapse cited for an expired consent is past."""
    try:
        decision = decide(load_case(copy.deepcopy(document)))
    except NotModelled:
        return
    assert set(decision.evidence) <= {decision.basis, *decision.codes}
    listed = decision.to_dict("en")
    for entry in [listed, *listed["reasons"]]:
        for fact in entry.get("evidence", []):
            moment = parse_moment(fact["at"])
            assert moment.tzinfo is not None
            if fact["type"] != "lapse":
                assert moment <= decision.at
                assert any(
                    e["type"] == fact["type"] and parse_moment(e["at"]) == moment
                    for e in document["history"]
                )
            elif fact["of"] == "consent":
                assert moment <= decision.at
    text = explain_decision(decision, "fr")
    for code, facts in decision.evidence.items():
        assert code in text
        for fact in facts:
            assert local_day(fact.at, "fr") in text
