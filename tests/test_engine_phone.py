"""Code de la consommation L223-1 s., D. 223-9: calling consumers."""

from __future__ import annotations

from typing import Any

import pytest

from licite.errors import NotModelled
from tests.builders import case, codes, collected, run


def warned(decision: Any) -> list[str]:
    return [w.code for w in decision.warnings]


def call(
    at: str,
    history: list[dict[str, Any]] | None = None,
    *,
    postal_code: str | None = "75011",
    phone: str = "06 12 34 56 78",
    checked: str | None = None,
    offer: str = "windows",
    sector: str | None = None,
    kind: str = "consumer",
) -> Any:
    person: dict[str, Any] = {"kind": kind, "phone": phone}
    if postal_code:
        person["postal_code"] = postal_code
    sender: dict[str, Any] = {"id": "windows-co", "kind": "company"}
    if checked:
        sender["bloctel_checked_at"] = checked
    request: dict[str, Any] = {
        "action": "contact",
        "channel": "phone_call",
        "purpose": "commercial",
        "offer": offer,
    }
    if sector:
        request["sector"] = sector
    if history is None:  # a prospect collected well within the three-year retention
        history = [collected(f"{int(at[:4]) - 1}-01-10")]
    return run(case(at, request=request, person=person, sender=sender, history=history))


def phone_consent(at: str = "2026-01-10", **fields: Any) -> dict[str, Any]:
    return {
        "at": at,
        "type": "consent",
        "channel": "phone_call",
        "purpose": "commercial",
        "sender": "windows-co",
        "mechanism": "checkbox",
        **fields,
    }


CONSENTED = [collected("2026-01-10"), phone_consent()]


def test_calls_modelled_from_1_june_2016() -> None:
    with pytest.raises(NotModelled):
        call("2016-05-31T15:00:00+02:00", checked="2016-05-20")
    assert call("2016-06-01T15:00:00+02:00", checked="2016-06-01").basis == "OPT-OUT"


class TestOptOutEra:
    def test_opposition_list_registration(self) -> None:
        history = [collected("2024-06-01"), {"at": "2024-09-01", "type": "bloctel"}]
        decision = call("2025-03-12T11:00:00+01:00", history, checked="2025-03-01")
        assert codes(decision) == {"BLOCTEL-REGISTERED"}

    def test_a_consent_does_not_lift_the_registration(self) -> None:
        history = [
            collected("2024-06-01"),
            {"at": "2024-09-01", "type": "bloctel"},
            phone_consent("2024-10-01"),
        ]
        decision = call("2025-03-12T11:00:00+01:00", history, checked="2025-03-01")
        assert codes(decision) == {"BLOCTEL-REGISTERED"}

    def test_registration_removed(self) -> None:
        history = [
            collected("2024-06-01"),
            {"at": "2024-09-01", "type": "bloctel"},
            {"at": "2024-12-01", "type": "bloctel_removed"},
        ]
        assert call("2025-03-12T11:00:00+01:00", history, checked="2025-03-01").allowed

    def test_current_contract_on_the_offer(self) -> None:
        history = [
            collected("2024-06-01"),
            {"at": "2024-09-01", "type": "bloctel"},
            {"at": "2024-06-01", "type": "contract", "object": "Windows"},
        ]
        decision = call("2025-03-12T11:00:00+01:00", history)
        assert decision.allowed and decision.basis == "CONTRACT"

    def test_ended_or_unrelated_contract(self) -> None:
        ended = [
            collected("2024-06-01"),
            {"at": "2024-09-01", "type": "bloctel"},
            {"at": "2024-06-01", "type": "contract", "object": "windows"},
            {"at": "2024-10-01", "type": "contract_end", "object": "windows"},
        ]
        assert "BLOCTEL-REGISTERED" in codes(
            call("2025-03-12T11:00:00+01:00", ended, checked="2025-03-01")
        )
        unrelated = [
            collected("2024-06-01"),
            {"at": "2024-09-01", "type": "bloctel"},
            {"at": "2024-06-01", "type": "contract", "object": "electricity"},
        ]
        assert "BLOCTEL-REGISTERED" in codes(
            call("2025-03-12T11:00:00+01:00", unrelated, checked="2025-03-01")
        )

    def test_press_subscriptions(self) -> None:
        history = [collected("2024-06-01"), {"at": "2024-09-01", "type": "bloctel"}]
        decision = call("2025-03-12T11:00:00+01:00", history, sector="press")
        assert decision.basis == "PRESS-EXCEPTION"

    def test_list_cleaned_within_the_month(self) -> None:
        # Cleaned 31 Jan: fresh until 28 Feb 00:00 (31 Feb does not exist: clamped).
        assert call("2025-02-27T19:59:59+01:00", checked="2025-01-31").allowed
        stale = call("2025-02-28T10:00:00+01:00", checked="2025-01-31")
        assert codes(stale) == {"BLOCTEL-LIST-STALE"}
        assert codes(call("2025-03-03T11:00:00+01:00")) == {"BLOCTEL-LIST-STALE"}

    def test_stale_list_only_matters_for_the_opt_out_basis(self) -> None:
        history = [
            collected("2024-06-01"),
            {"at": "2024-06-01", "type": "contract", "object": "windows"},
        ]
        assert call("2025-03-12T11:00:00+01:00", history).basis == "CONTRACT"

    def test_warning_of_the_reform_once_the_law_is_published(self) -> None:
        before = call("2025-06-30T15:00:00+02:00", checked="2025-06-20")
        after = call("2025-07-01T15:00:00+02:00", checked="2025-06-20")
        assert not before.warnings
        assert [w.code for w in after.warnings] == ["WARN-PHONE-OPT-IN-AHEAD"]
        # The earliest change: the calling window closes at 20:00 (SPEC §3, v2).
        assert after.expires_at is not None
        assert after.expires_at.isoformat() == "2025-07-01T20:00:00+02:00"


class TestOptInEra:
    def test_last_day_of_opt_out_and_first_day_of_consent(self) -> None:
        last = call("2026-08-10T15:00:00+02:00", checked="2026-08-01")
        assert last.allowed and last.basis == "OPT-OUT"
        assert last.expires_at is not None
        assert last.expires_at.isoformat() == "2026-08-10T20:00:00+02:00"  # the window's end
        # With consent to calls at any hour, the next change is the reform itself.
        anytime = [collected("2026-01-10"), phone_consent(outside_hours=True)]
        last = call("2026-08-10T15:00:00+02:00", anytime, checked="2026-08-01")
        assert (
            last.expires_at is not None
            and last.expires_at.isoformat() == "2026-08-11T00:00:00+02:00"
        )
        first = call("2026-08-11T15:00:00+02:00", checked="2026-08-01")
        assert codes(first) == {"PHONE-NO-CONSENT"}

    def test_consent(self) -> None:
        assert call("2026-09-15T11:00:00+02:00", CONSENTED).basis == "CONSENT"

    def test_bloctel_no_longer_matters(self) -> None:
        history = [*CONSENTED, {"at": "2026-02-01", "type": "bloctel"}]
        assert call("2026-09-15T11:00:00+02:00", history).basis == "CONSENT"

    def test_contract(self) -> None:
        history = [
            collected("2025-02-01"),
            {"at": "2025-02-01", "type": "contract", "object": "windows"},
        ]
        assert call("2026-09-15T11:00:00+02:00", history).basis == "CONTRACT"

    def test_email_consent_is_not_phone_consent(self) -> None:
        history = [collected("2026-01-10"), phone_consent(channel="email")]
        assert codes(call("2026-09-15T11:00:00+02:00", history)) == {
            "PHONE-NO-CONSENT",
            "CONSENT-NOT-SPECIFIC",
        }

    def test_no_soft_opt_in_detail_for_calls(self) -> None:
        history = [
            collected("2026-01-10"),
            {"at": "2026-01-10", "type": "customer", "products": ["doors"]},
        ]
        assert codes(call("2026-09-15T11:00:00+02:00", history)) == {"PHONE-NO-CONSENT"}

    def test_professionals_are_outside_l223_1(self) -> None:
        decision = call("2026-10-03T21:00:00+02:00", kind="professional")  # a Saturday night
        assert decision.allowed and decision.basis == "OPT-OUT"


class TestCallingHours:
    @pytest.mark.parametrize(
        ("clock", "allowed"),
        [
            ("09:59:59", False),
            ("10:00:00", True),
            ("12:59:59", True),
            ("13:00:00", False),
            ("13:59:59", False),
            ("14:00:00", True),
            ("19:59:59", True),
            ("20:00:00", False),
        ],
    )
    def test_paris(self, clock: str, allowed: bool) -> None:
        decision = call(f"2026-10-06T{clock}+02:00", CONSENTED)
        assert decision.allowed is allowed
        if not allowed:
            assert codes(decision) == {"PHONE-OUTSIDE-HOURS"}

    @pytest.mark.parametrize(
        ("local", "allowed"),
        [
            ("12:59:59", True),
            ("13:00:00", False),
            ("13:59:59", False),
            ("14:00:00", True),
            ("19:59:59", True),
            ("20:00:00", False),
        ],
    )
    def test_reunion_by_postal_code(self, local: str, allowed: bool) -> None:
        # Réunion is UTC+4, two hours ahead of Paris in October: the same instant,
        # written in Réunion's offset, must be judged on Réunion's clock.
        assert call(f"2026-10-06T{local}+04:00", CONSENTED, postal_code="97400").allowed is allowed
        # In Paris the same instants fall between 10:59:59 and 18:00: all allowed.
        assert call(f"2026-10-06T{local}+04:00", CONSENTED, postal_code="75011").allowed

    @pytest.mark.parametrize(
        ("phone", "local_hour_allowed"),
        [
            ("+596 696 12 34 56", "2026-10-06T19:59:59-04:00"),  # Martinique
            ("0694 12 34 56", "2026-10-06T19:59:59-03:00"),  # Guyane
            ("+262 639 12 34 56", "2026-10-06T19:59:59+03:00"),  # Mayotte
        ],
    )
    def test_overseas_by_phone_number(self, phone: str, local_hour_allowed: str) -> None:
        assert call(local_hour_allowed, CONSENTED, postal_code=None, phone=phone).allowed
        closing = local_hour_allowed.replace("19:59:59", "20:00:00")
        assert not call(closing, CONSENTED, postal_code=None, phone=phone).allowed

    def test_postal_code_wins_over_phone(self) -> None:
        # A Réunion mobile, but the consumer lives in Paris: Paris hours.
        decision = call(
            "2026-10-06T19:30:00+02:00", CONSENTED, postal_code="75011", phone="0692 12 34 56"
        )
        assert decision.allowed

    def test_weekend(self) -> None:
        # D. 223-9 allows Monday to Friday, within the hours: a weekend day is forbidden
        # and its hours are outside the allowed ones, at any time of day.
        both = {"PHONE-FORBIDDEN-DAY", "PHONE-OUTSIDE-HOURS"}
        assert codes(call("2026-10-03T11:00:00+02:00", CONSENTED)) == both
        assert codes(call("2026-10-04T11:00:00+02:00", CONSENTED)) == both
        assert codes(call("2026-10-03T21:00:00+02:00", CONSENTED)) == both
        # A public holiday on a weekday, within the hours: the day alone is forbidden.
        assert codes(call("2026-11-11T11:00:00+01:00", CONSENTED)) == {"PHONE-FORBIDDEN-DAY"}

    # D. 223-9 names the public holidays of C. trav. L3133-1 only: a day that is a holiday of
    # the consumer's place alone is a lawful calling day, with a warning (SPEC 1.5, v2).
    @pytest.mark.parametrize(
        "at",
        ["2026-04-03T11:00:00+02:00", "2025-12-26T11:00:00+01:00"],
        ids=["good-friday", "26-dec"],
    )
    @pytest.mark.parametrize("postal_code", ["67000", "57000", "68100"])
    def test_alsace_moselle_holidays_warn(self, at: str, postal_code: str) -> None:
        checked = at[:8] + "01"
        local = call(at, postal_code=postal_code, checked=checked)
        assert local.allowed and "PHONE-LOCAL-HOLIDAY" in warned(local)
        paris = call(at, postal_code="75011", checked=checked)
        assert paris.allowed and "PHONE-LOCAL-HOLIDAY" not in warned(paris)

    @pytest.mark.parametrize(
        ("postal_code", "day"),
        [
            ("97600", "2026-04-27T11:00:00+03:00"),
            ("97200", "2026-05-22T11:00:00-04:00"),
            ("97100", "2026-05-27T11:00:00-04:00"),
            ("97300", "2026-06-10T11:00:00-03:00"),
            ("97400", "2024-12-20T11:00:00+04:00"),
        ],
    )
    def test_abolition_of_slavery_overseas(self, postal_code: str, day: str) -> None:
        # Each at 11:00 local time; Paris, at the same instant, is in its own hours or not.
        history = [collected("2024-01-10"), phone_consent("2024-01-10")]
        checked = day[:8] + "01"  # before 11 Aug. 2026: a list cleaned this month
        decision = call(day, history, postal_code=postal_code, checked=checked)
        assert decision.allowed and "PHONE-LOCAL-HOLIDAY" in warned(decision)
        paris = call(day, history, postal_code="75011", checked=checked)
        assert "PHONE-LOCAL-HOLIDAY" not in warned(paris)
        assert "PHONE-FORBIDDEN-DAY" not in codes(paris)

    def test_national_holiday_in_reunion(self) -> None:
        at = "2027-07-14T11:00:00+04:00"  # 14 July (a Wednesday), in Réunion's local time
        decision = call(at, CONSENTED, postal_code="97400")
        assert codes(decision) == {"PHONE-FORBIDDEN-DAY"}

    def test_national_holiday_everywhere(self) -> None:
        decision = call("2026-11-11T11:00:00+01:00", CONSENTED)  # Armistice, a Wednesday
        assert codes(decision) == {"PHONE-FORBIDDEN-DAY"}

    def test_rules_start_on_1_march_2023(self) -> None:
        assert call("2023-02-25T21:00:00+01:00", checked="2023-02-20").allowed
        assert codes(call("2023-03-04T21:00:00+01:00", checked="2023-03-01")) == {
            "PHONE-FORBIDDEN-DAY",
            "PHONE-OUTSIDE-HOURS",
        }

    def test_consent_to_calls_outside_hours_lifts_hours_and_days(self) -> None:
        history = [collected("2026-01-10"), phone_consent(outside_hours=True)]
        assert call("2026-10-03T21:00:00+02:00", history).allowed


class TestFrequency:
    def calls(self, *moments: str, outcome: str = "no_answer") -> list[dict[str, Any]]:
        return [*CONSENTED, *({"at": m, "type": "call", "outcome": outcome} for m in moments)]

    def test_fifth_call_in_thirty_days_is_refused(self) -> None:
        # 30 days before 2 Nov 11:00 (UTC+1) is 3 Oct 11:00 (UTC+2): the window keeps local time.
        history = self.calls("2026-10-03T11:00:00", "2026-10-10", "2026-10-20", "2026-10-30")
        assert codes(call("2026-11-02T11:00:00+01:00", history)) == {"PHONE-FREQUENCY-CAP"}

    def test_a_call_just_outside_the_window_does_not_count(self) -> None:
        history = self.calls("2026-10-03T10:59:59", "2026-10-10", "2026-10-20", "2026-10-30")
        assert call("2026-11-02T11:00:00+01:00", history).allowed

    def test_another_senders_calls_do_not_count(self) -> None:
        history = [
            *CONSENTED,
            *(
                {"at": m, "type": "call", "sender": "other"}
                for m in ("2026-10-10", "2026-10-11", "2026-10-12", "2026-10-13")
            ),
        ]
        assert call("2026-11-02T11:00:00+01:00", history).allowed

    def test_sixty_days_after_a_refusal(self) -> None:
        history = self.calls("2025-09-04T11:00:00", outcome="refused")
        # 60 days after 4 Sept 11:00 (UTC+2) is 3 Nov 11:00 (UTC+1).
        at = "2025-11-03T10:59:59+01:00"
        assert codes(call(at, history, checked="2025-11-01")) == {"PHONE-REFUSAL-COOLDOWN"}
        assert call("2025-11-03T11:00:00+01:00", history, checked="2025-11-01").allowed

    def test_cap_applies_even_with_consent_outside_hours(self) -> None:
        history = [
            collected("2026-01-10"),
            phone_consent(outside_hours=True),
            *(
                {"at": m, "type": "call"}
                for m in ("2026-10-10", "2026-10-11", "2026-10-12", "2026-10-13")
            ),
        ]
        assert codes(call("2026-10-17T21:00:00+02:00", history)) == {"PHONE-FREQUENCY-CAP"}


class TestSectorBans:
    def test_energy_renovation_by_phone_from_26_july_2020(self) -> None:
        # Calling hours and days only start in 2023: the weekend of the ban's start is open.
        last = "2020-07-25T23:59:59.999999+02:00"
        before = call(last, checked="2020-07-20", sector="energy_renovation")
        assert before.allowed
        after = call("2020-07-26T00:00:00+02:00", checked="2020-07-20", sector="energy_renovation")
        assert codes(after) == {"SECTOR-BAN"}
        assert after.reasons[0].citation.endswith("(loi n° 2020-901 du 24 juillet 2020)")

    def test_email_and_home_adaptation_from_1_july_2025(self) -> None:
        request = {
            "action": "contact",
            "channel": "email",
            "purpose": "commercial",
            "offer": "stairlift",
            "sector": "home_adaptation",
        }
        history = [
            collected("2025-01-10"),
            {
                "at": "2025-01-10",
                "type": "consent",
                "channel": "email",
                "purpose": "commercial",
                "mechanism": "checkbox",
            },
        ]
        # Loi 2025-594 is in force from 2 July 2025, the day after its publication (v2).
        last = run(case("2025-07-01T23:59:59+02:00", request=request, history=history))
        assert last.allowed
        assert last.expires_at is not None
        assert last.expires_at.isoformat() == "2025-07-02T00:00:00+02:00"
        banned = run(case("2025-07-02T00:00:00+02:00", request=request, history=history))
        assert codes(banned) == {"SECTOR-BAN"}

    def test_only_a_related_current_contract_lifts_the_ban(self) -> None:
        history = [*CONSENTED, {"at": "2026-01-10", "type": "contract", "object": "boiler"}]
        at = "2026-09-15T11:00:00+02:00"
        assert call(at, history, offer="boiler", sector="energy_renovation").allowed
        unrelated = call(at, history, offer="insulation", sector="energy_renovation")
        assert codes(unrelated) == {"SECTOR-BAN"}
