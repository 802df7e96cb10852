"""Rules that hold for every history, request and moment (hypothesis)."""

from __future__ import annotations

import copy
import json
import random
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from licite.case import load_case
from licite.catalogue import catalogue
from licite.decision import Decision
from licite.engine import decide
from licite.errors import NotModelled
from licite.moments import PARIS, parse_moment
from tests.strategies import SENDER, cases, contact_requests

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
REFUSALS = {
    "PROSPECT-NO-CONSENT",
    "ANALYSIS-NO-CONSENT",
    "PHONE-NO-CONSENT",
    "POLITICAL-NO-CONSENT",
}
DETAILS = {code for code, rule in catalogue().items() if rule.kind == "detail"}


def decide_or_skip(document: dict[str, Any]) -> Decision:
    try:
        return decide(load_case(copy.deepcopy(document)))
    except NotModelled:
        assume(False)
        raise


def outcome(decision: Decision) -> tuple[bool, str | None, frozenset[str]]:
    return decision.allowed, decision.basis, frozenset(decision.codes)


@SETTINGS
@given(cases())
def test_allowed_iff_basis_iff_no_reasons(document: dict[str, Any]) -> None:
    decision = decide_or_skip(document)
    assert decision.allowed == (decision.basis is not None) == (not decision.reasons)
    if not decision.allowed:
        assert not decision.obligations and not decision.warnings and decision.expires_at is None


@SETTINGS
@given(cases())
def test_every_code_is_catalogued_and_in_force_at_the_moment(document: dict[str, Any]) -> None:
    decision = decide_or_skip(document)
    day = decision.at.astimezone(PARIS).date()
    cited = [*decision.reasons, *decision.obligations, *decision.warnings]
    for item in cited:
        version = catalogue()[item.code].version_on(day)
        assert version is not None, f"{item.code} cited on {day} before or after its time"
        assert (
            item.citation == version.citation and item.in_force_since == version.since.isoformat()
        )
    if decision.basis is not None:
        assert catalogue()[decision.basis].version_on(day) is not None


@SETTINGS
@given(cases())
def test_detail_codes_only_beside_a_refusal_code(document: dict[str, Any]) -> None:
    decision = decide_or_skip(document)
    codes = set(decision.codes)
    if codes & DETAILS:
        assert codes & REFUSALS
    channel = document["request"].get("channel")
    if channel not in ("email", "sms", "mms"):
        assert not {c for c in codes if c.startswith("SOFT-OPT-IN") or c == "B2B-NOT-RELEVANT"}


@SETTINGS
@given(cases(contact_requests), st.data())
def test_an_objection_never_turns_a_refusal_into_a_permission(
    document: dict[str, Any], data: st.DataObject
) -> None:
    before = decide_or_skip(document)
    at = parse_moment(document["at"])
    objection = {
        "at": (at - timedelta(minutes=data.draw(st.integers(0, 5 * 365 * 24 * 60)))).isoformat(),
        "type": "objection",
        "channel": data.draw(st.sampled_from([document["request"]["channel"], "all", None])),
        "sender": data.draw(st.sampled_from([SENDER, "all", None])),
    }
    objected = copy.deepcopy(document)
    objected["history"].append({k: v for k, v in objection.items() if v is not None})
    after = decide_or_skip(objected)
    if not before.allowed:
        assert not after.allowed
    if document["request"]["purpose"] != "transactional" and after.allowed:
        # Allowed despite a matching objection: only a strictly later valid consent explains it.
        assert after.basis == "CONSENT" or before.allowed


@SETTINGS
@given(cases(contact_requests.filter(lambda r: r["purpose"] != "transactional")), st.data())
def test_a_later_valid_consent_after_an_objection_restores_the_right(
    document: dict[str, Any], data: st.DataObject
) -> None:
    at = parse_moment(document["at"])
    objection_at = at - timedelta(minutes=data.draw(st.integers(2, 3 * 365 * 24 * 60)))
    consent_at = objection_at + timedelta(
        minutes=data.draw(st.integers(1, int((at - objection_at).total_seconds() // 60)))
    )
    request = document["request"]
    history = [e for e in document["history"] if parse_moment(e["at"]) < objection_at]
    consent = {
        "at": consent_at.isoformat(),
        "type": "consent",
        "channel": request["channel"],
        "purpose": request["purpose"],
        "sender": SENDER,
        "mechanism": data.draw(st.sampled_from(["checkbox", "double_opt_in"])),
    }
    objection = {
        "at": objection_at.isoformat(),
        "type": "objection",
        "channel": data.draw(st.sampled_from([request["channel"], "all"])),
        "sender": data.draw(st.sampled_from([SENDER, "all"])),
    }
    with_objection = {**document, "history": [*history, objection, consent]}
    without = {**document, "history": [*history, consent]}
    restored = decide_or_skip(with_objection)
    assert "OBJECTED" not in restored.codes
    assert outcome(restored) == outcome(decide_or_skip(without))


@SETTINGS
@given(cases(), st.data())
def test_events_after_the_moment_are_ignored(document: dict[str, Any], data: st.DataObject) -> None:
    before = decide_or_skip(document)
    at = parse_moment(document["at"])
    later = copy.deepcopy(document)
    future = data.draw(
        st.sampled_from(
            [
                {"type": "objection"},
                {"type": "bloctel"},
                {"type": "opinion_inferred"},
                {
                    "type": "consent",
                    "channel": "all",
                    "purpose": "commercial",
                    "mechanism": "checkbox",
                },
            ]
        )
    )
    future["at"] = (at + timedelta(seconds=data.draw(st.integers(1, 10**8)))).isoformat()
    later["history"].append(future)
    assert outcome(decide_or_skip(later)) == outcome(before)


@SETTINGS
@given(cases(), st.randoms(use_true_random=False))
def test_file_order_matters_only_between_equal_moments(
    document: dict[str, Any], rng: random.Random
) -> None:
    moments = [parse_moment(e["at"]) for e in document["history"]]
    assume(len(set(moments)) == len(moments))
    shuffled = copy.deepcopy(document)
    rng.shuffle(shuffled["history"])
    assert outcome(decide_or_skip(shuffled)) == outcome(decide_or_skip(document))


@SETTINGS
@given(cases())
def test_json_and_yaml_forms_decide_alike(document: dict[str, Any]) -> None:
    from_json = decide_or_skip(json.loads(json.dumps(document)))
    assert from_json.to_dict() == decide_or_skip(document).to_dict()


@settings(max_examples=200, deadline=None)
@given(cases())
def test_before_a_rule_starts_the_decision_never_mentions_it(document: dict[str, Any]) -> None:
    decision = decide_or_skip(document)
    day = decision.at.astimezone(PARIS).date()
    for code in [decision.basis, *decision.codes, *(o.code for o in decision.obligations)]:
        if code is not None:
            assert catalogue()[code].since <= day
