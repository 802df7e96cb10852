"""CPCE L32-3 and D. 98-5: analysing private correspondence."""

from __future__ import annotations

from typing import Any

import pytest

from licite.errors import NotModelled
from tests.builders import case, codes, run


def analysis(
    at: str,
    purpose: str = "advertising",
    history: list[dict[str, Any]] | None = None,
    since: str | None = "2018-01-01",
    processing: str = "ads",
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "action": "analyze",
        "processing": processing,
        "analysis_purpose": purpose,
    }
    if since:
        request["processing_since"] = since
    return case(
        at,
        request=request,
        sender={"id": "webmail", "kind": "online_service"},
        history=history or [{"at": "2016-01-01", "type": "collected", "method": "form"}],
    )


def consent(
    at: str, purpose: str = "advertising", processing: str = "ads", **fields: Any
) -> dict[str, Any]:
    return {
        "at": at,
        "type": "consent",
        "purpose": purpose,
        "processing": processing,
        "mechanism": "checkbox",
        **fields,
    }


def test_not_modelled_the_day_before_the_decree() -> None:
    with pytest.raises(NotModelled):
        run(analysis("2017-03-30T23:59:59+02:00", "spam_detection"))


def test_modelled_from_the_decree() -> None:
    decision = run(analysis("2017-03-31T00:00:00+02:00", "spam_detection"))
    assert decision.allowed and decision.basis == "EXEMPT-ANALYSIS"


@pytest.mark.parametrize(
    "purpose", ["display", "sorting", "routing", "spam_detection", "malware_detection"]
)
def test_service_purposes_need_no_consent(purpose: str) -> None:
    decision = run(analysis("2023-06-01T12:00:00+02:00", purpose))
    assert decision.allowed and decision.basis == "EXEMPT-ANALYSIS"
    assert decision.expires_at is None


@pytest.mark.parametrize("purpose", ["advertising", "statistics", "service_improvement"])
def test_consent_purposes_without_consent_are_refused(purpose: str) -> None:
    decision = run(analysis("2023-06-01T12:00:00+02:00", purpose))
    assert not decision.allowed
    assert codes(decision) == {"ANALYSIS-NO-CONSENT"}
    assert decision.reasons[0].citation == "CPCE art. L32-3 IV"


def test_other_purposes_stay_secret_even_with_consent() -> None:
    history = [consent("2023-01-01", purpose="advertising")]
    decision = run(analysis("2023-06-01T12:00:00+02:00", "other", history))
    assert not decision.allowed
    assert codes(decision) == {"ANALYSIS-PURPOSE-FORBIDDEN"}


def test_consent_lasts_one_year_to_the_instant() -> None:
    history = [consent("2022-01-10")]
    last = run(analysis("2023-01-09T23:59:59+01:00", history=history))
    assert last.allowed and last.basis == "CONSENT"
    assert (
        last.expires_at is not None and last.expires_at.isoformat() == "2023-01-10T00:00:00+01:00"
    )
    first_after = run(analysis("2023-01-10T00:00:00+01:00", history=history))
    assert not first_after.allowed
    assert codes(first_after) == {"ANALYSIS-NO-CONSENT", "CONSENT-EXPIRED"}


def test_consent_year_keeps_local_time_across_daylight_saving() -> None:
    # Given at 10:30 in winter (UTC+1); a year later is 10:30 in summer (UTC+2),
    # one hour earlier in UTC than 365 days of 24 hours would give.
    history = [consent("2022-03-26T10:30:00")]
    assert run(analysis("2023-03-26T10:29:59+02:00", history=history)).allowed
    refused = run(analysis("2023-03-26T10:30:00+02:00", history=history))
    assert "CONSENT-EXPIRED" in codes(refused)


def test_consent_is_specific_to_the_processing_and_the_purpose() -> None:
    other_processing = run(
        analysis(
            "2023-02-01T12:00:00+01:00", history=[consent("2022-12-10", processing="other-ads")]
        )
    )
    other_purpose = run(
        analysis("2023-02-01T12:00:00+01:00", history=[consent("2022-12-10", purpose="statistics")])
    )
    for decision in (other_processing, other_purpose):
        assert codes(decision) == {"ANALYSIS-NO-CONSENT", "CONSENT-NOT-SPECIFIC"}


def test_a_marketing_consent_is_not_an_analysis_consent() -> None:
    marketing = {
        "at": "2022-12-10",
        "type": "consent",
        "channel": "email",
        "purpose": "commercial",
        "mechanism": "checkbox",
    }
    decision = run(analysis("2023-02-01T12:00:00+01:00", history=[marketing]))
    assert codes(decision) == {"ANALYSIS-NO-CONSENT"}


def test_withdrawn_consent() -> None:
    history = [
        consent("2022-12-10"),
        {"at": "2023-01-05", "type": "withdrawal", "processing": "ads"},
    ]
    decision = run(analysis("2023-02-01T12:00:00+01:00", history=history))
    assert codes(decision) == {"ANALYSIS-NO-CONSENT", "CONSENT-WITHDRAWN"}


def test_a_withdrawal_of_another_processing_changes_nothing() -> None:
    history = [
        consent("2022-12-10"),
        {"at": "2023-01-05", "type": "withdrawal", "processing": "stats"},
    ]
    assert run(analysis("2023-02-01T12:00:00+01:00", history=history)).allowed


def test_renewed_consent_counts_from_its_renewal() -> None:
    history = [consent("2021-01-10"), consent("2022-06-01")]
    decision = run(analysis("2023-02-01T12:00:00+01:00", history=history))
    assert decision.allowed
    assert (
        decision.expires_at is not None and decision.expires_at.date().isoformat() == "2023-06-01"
    )


def test_consent_through_terms_of_use_is_not_express_consent() -> None:
    history = [consent("2022-12-10", mechanism="terms_acceptance")]
    decision = run(analysis("2023-02-01T12:00:00+01:00", history=history))
    assert codes(decision) == {"ANALYSIS-NO-CONSENT", "CONSENT-VIA-TERMS"}


def test_transition_holds_through_30_september_2017_inclusive() -> None:
    last = run(analysis("2017-09-30T23:59:59+02:00", since="2015-01-01"))
    assert last.allowed and last.basis == "TRANSITIONAL-PERIOD"
    assert [w.code for w in last.warnings] == ["WARN-TRANSITIONAL-PERIOD"]
    assert (
        last.expires_at is not None and last.expires_at.isoformat() == "2017-10-01T00:00:00+02:00"
    )
    after = run(analysis("2017-10-01T00:00:00+02:00", since="2015-01-01"))
    assert not after.allowed and codes(after) == {"ANALYSIS-NO-CONSENT"}


def test_transition_only_for_processing_begun_before_31_march_2017() -> None:
    assert run(analysis("2017-06-01T12:00:00+02:00", since="2017-03-30")).allowed
    late = run(analysis("2017-06-01T12:00:00+02:00", since="2017-03-31"))
    assert not late.allowed
    unknown_start = run(analysis("2017-06-01T12:00:00+02:00", since=None))
    assert not unknown_start.allowed


def test_consent_outranks_the_transition() -> None:
    decision = run(
        analysis("2017-06-01T12:00:00+02:00", since="2015-01-01", history=[consent("2017-05-01")])
    )
    assert decision.basis == "CONSENT" and not decision.warnings
