"""The boundaries of SPEC version 2, each tested on both sides (issue 15)."""

from __future__ import annotations

from typing import Any

from tests.builders import case, codes, collected, run
from tests.test_engine_phone import CONSENTED, call, phone_consent


def _with_caller(at: str, caller_id: str | None, checked: str) -> Any:
    request: dict[str, Any] = {
        "action": "contact",
        "channel": "phone_call",
        "purpose": "commercial",
        "offer": "windows",
    }
    if caller_id:
        request["caller_id"] = caller_id
    sender = {"id": "windows-co", "kind": "company", "bloctel_checked_at": checked}
    person = {"kind": "consumer", "phone": "06 12 34 56 78", "postal_code": "75011"}
    return run(case(at, request=request, person=person, sender=sender, history=[collected()]))


class TestCallerId:
    """Arcep décision 2022-1583: canvassing numbers from 1 January 2023."""

    def test_an_ordinary_number_until_the_last_day_of_2022(self) -> None:
        last = _with_caller("2022-12-30T11:00:00+01:00", "01 44 55 66 77", "2022-12-20")
        assert last.allowed
        # No calling hours yet (D. 223-9 from 1 March 2023): the decision changes when the
        # caller-ID rule comes into force and refuses the same call.
        assert last.expires_at is not None
        assert last.expires_at.isoformat() == "2023-01-01T00:00:00+01:00"
        assert "OBL-CALLER-ID" not in {o.code for o in last.obligations}

    def test_from_1_january_2023_only_the_ranges(self) -> None:
        # 2 January 2023, a Monday (the 1st is a holiday and a Sunday).
        first = _with_caller("2023-01-02T11:00:00+01:00", "01 44 55 66 77", "2022-12-20")
        assert codes(first) == {"CALLER-ID-NOT-ALLOWED"}
        allowed = _with_caller("2023-01-02T11:00:00+01:00", "+33 9 47 51 23 45", "2022-12-20")
        assert allowed.allowed and not allowed.obligations
        unsaid = _with_caller("2023-01-02T11:00:00+01:00", None, "2022-12-20")
        assert unsaid.allowed and [o.code for o in unsaid.obligations] == ["OBL-CALLER-ID"]

    def test_the_switch_itself(self) -> None:
        # At 23:59:59 on 31 Dec. 2022 (no D. 223-9 hours yet) the number does not matter;
        # at 00:00 on 1 Jan. 2023 it does.
        before = _with_caller("2022-12-31T23:59:59+01:00", "01 44 55 66 77", "2022-12-20")
        after = _with_caller("2023-01-01T00:00:00+01:00", "01 44 55 66 77", "2022-12-20")
        assert before.allowed
        assert before.expires_at is not None
        assert before.expires_at.isoformat() == "2023-01-01T00:00:00+01:00"
        assert codes(after) == {"CALLER-ID-NOT-ALLOWED"}


class TestPressAfterTheReform:
    """C. consom. L223-5: the press exception holds on both sides of 11 August 2026."""

    def test_press_without_consent_on_10_and_11_august(self) -> None:
        before = call("2026-08-10T11:00:00+02:00", sector="press")
        after = call("2026-08-11T11:00:00+02:00", sector="press")
        assert before.basis == after.basis == "PRESS-EXCEPTION"
        # Not the reform: only the calling window's end changes the decision.
        assert after.expires_at is not None and after.expires_at.hour == 13

    def test_without_the_press_the_same_call_needs_consent(self) -> None:
        assert codes(call("2026-08-11T11:00:00+02:00")) == {"PHONE-NO-CONSENT"}


class TestRefusalTakesConsentBack:
    """L223-1 al. 2 (loi 2025-594): a refusal during a call withdraws the phone consent."""

    @staticmethod
    def _refused(at: str) -> list[dict[str, Any]]:
        return [
            *CONSENTED,
            {"at": at, "type": "call", "sender": "windows-co", "outcome": "refused"},
        ]

    def test_a_refusal_on_10_august_leaves_the_consent(self) -> None:
        history = self._refused("2026-08-10T23:59:59")
        decision = call("2026-10-20T11:00:00+02:00", history)  # after the 60-day pause
        assert decision.allowed and decision.basis == "CONSENT"

    def test_a_refusal_on_11_august_takes_it_back(self) -> None:
        history = self._refused("2026-08-11T00:00:00")
        assert codes(call("2026-10-20T11:00:00+02:00", history)) == {
            "PHONE-NO-CONSENT",
            "CONSENT-WITHDRAWN",
        }

    def test_a_new_consent_after_the_refusal_restores_the_right(self) -> None:
        history = [*self._refused("2026-08-20T11:00:00"), phone_consent("2026-09-01")]
        decision = call("2026-10-20T11:00:00+02:00", history)
        assert decision.allowed and decision.basis == "CONSENT"

    def test_another_senders_refusal_changes_nothing(self) -> None:
        history = [
            *CONSENTED,
            {"at": "2026-08-20T11:00:00", "type": "call", "sender": "other", "outcome": "refused"},
        ]
        assert call("2026-10-20T11:00:00+02:00", history).basis == "CONSENT"


class TestAnalysisConsentNotSpecific:
    """SPEC 1.1 (v2): an expired consent for this processing is not 'another' consent."""

    @staticmethod
    def _analyse(at: str, history: list[dict[str, Any]]) -> Any:
        request = {"action": "analyze", "processing": "ads", "analysis_purpose": "advertising"}
        return run(case(at, request=request, history=history))

    @staticmethod
    def _consent(at: str, processing: str, purpose: str = "advertising") -> dict[str, Any]:
        return {
            "at": at,
            "type": "consent",
            "processing": processing,
            "purpose": purpose,
            "sender": "shop",
            "mechanism": "checkbox",
        }

    def test_expired_and_another_processing(self) -> None:
        history = [self._consent("2024-01-10", "ads"), self._consent("2024-01-10", "stats")]
        assert codes(self._analyse("2025-03-01T10:00:00+01:00", history)) == {
            "ANALYSIS-NO-CONSENT",
            "CONSENT-EXPIRED",
        }

    def test_only_another_processing(self) -> None:
        history = [self._consent("2025-01-10", "stats")]
        assert codes(self._analyse("2025-03-01T10:00:00+01:00", history)) == {
            "ANALYSIS-NO-CONSENT",
            "CONSENT-NOT-SPECIFIC",
        }
