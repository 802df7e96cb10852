"""Retention: CNIL référentiel (3 years from the last positive act), suppression records."""

from __future__ import annotations

from typing import Any

from tests.builders import case, codes, collected, email_consent, run

RETAIN = {"action": "retain"}


def retain(at: str, history: list[dict[str, Any]]) -> Any:
    return run(case(at, request=RETAIN, history=history))


def test_three_years_from_collection_to_the_instant() -> None:
    history = [collected("2020-01-10")]
    last = retain("2023-01-09T23:59:59+01:00", history)
    assert last.allowed and last.basis == "WITHIN-RETENTION"
    assert (
        last.expires_at is not None and last.expires_at.isoformat() == "2023-01-10T00:00:00+01:00"
    )
    assert codes(retain("2023-01-10T00:00:00+01:00", history)) == {"RETENTION-EXPIRED"}


def test_leap_day_clamps_to_the_end_of_february() -> None:
    history = [collected("2020-02-29")]
    assert retain("2023-02-27T23:59:59+01:00", history).allowed
    assert not retain("2023-02-28T00:00:00+01:00", history).allowed


def test_positive_acts_restart_the_clock_an_open_does_not() -> None:
    for kind in ("click", "documentation_request", "reply", "purchase"):
        history = [
            collected("2020-01-10"),
            {"at": "2022-05-01", "type": "interaction", "kind": kind},
        ]
        decision = retain("2024-02-01T10:00:00+01:00", history)
        assert decision.allowed, kind
        assert (
            decision.expires_at is not None
            and decision.expires_at.date().isoformat() == "2025-05-01"
        )
    for kind in ("open", "call_answered"):
        history = [
            collected("2020-01-10"),
            {"at": "2022-05-01", "type": "interaction", "kind": kind},
        ]
        assert not retain("2024-02-01T10:00:00+01:00", history).allowed, kind


def test_an_act_towards_another_sender_does_not_count() -> None:
    history = [
        collected("2020-01-10"),
        {"at": "2022-05-01", "type": "interaction", "kind": "click", "sender": "partner"},
    ]
    assert not retain("2024-02-01T10:00:00+01:00", history).allowed


def test_a_valid_consent_is_a_positive_act_a_preticked_one_is_not() -> None:
    assert retain(
        "2024-02-01T10:00:00+01:00", [collected("2020-01-10"), email_consent("2022-05-01")]
    ).allowed
    assert not retain(
        "2024-02-01T10:00:00+01:00",
        [collected("2020-01-10"), email_consent("2022-05-01", mechanism="preticked")],
    ).allowed


def test_customers_are_kept_while_a_contract_lasts() -> None:
    # A current contract makes a customer, even without a `customer` event (SPEC 1.6, v2).
    history = [collected("2010-01-10", method="sale"), {"at": "2010-01-10", "type": "contract"}]
    decision = retain("2024-02-01T10:00:00+01:00", history)
    assert decision.allowed and decision.expires_at is None


def test_a_one_off_buyer_is_a_former_customer_from_the_purchase() -> None:
    history = [collected("2022-02-14", method="sale"), {"at": "2022-02-14", "type": "customer"}]
    last = retain("2025-02-13T23:59:59.999999+01:00", history)
    assert last.allowed and last.expires_at is not None
    assert last.expires_at.isoformat() == "2025-02-14T00:00:00+01:00"
    assert codes(retain("2025-02-14T00:00:00+01:00", history)) == {"RETENTION-EXPIRED"}


def test_an_ended_contract_leaves_a_former_customer() -> None:
    history = [
        collected("2015-01-10", method="sale"),
        {"at": "2015-01-10", "type": "contract", "object": "fibre"},
        {"at": "2022-06-01", "type": "contract_end", "object": "fibre"},
    ]
    assert retain("2025-05-31T12:00:00+02:00", history).allowed
    assert codes(retain("2025-06-01T00:00:00+02:00", history)) == {"RETENTION-EXPIRED"}


def test_a_rescraped_prospect_keeps_the_first_clock() -> None:
    # CNIL SAN-2024-020 (Kaspr): an indirect re-collection never restarts the clock...
    scraped = [
        collected("2021-03-01", method="scraping"),
        collected("2023-09-15", method="scraping"),
    ]
    assert codes(retain("2024-03-01T00:00:00+01:00", scraped)) == {"RETENTION-EXPIRED"}
    assert retain("2024-02-29T23:59:59+01:00", scraped).allowed
    # ...where a re-collection by form, a direct one, does.
    refreshed = [collected("2021-03-01", method="scraping"), collected("2023-09-15", method="form")]
    assert retain("2026-09-14T12:00:00+02:00", refreshed).allowed


def test_former_customers_three_years_from_the_end() -> None:
    history = [
        collected("2010-01-10", method="sale"),
        {"at": "2010-01-10", "type": "customer"},
        {"at": "2021-03-15", "type": "customer_end"},
    ]
    assert retain("2024-03-14T23:59:59+01:00", history).allowed
    assert not retain("2024-03-15T00:00:00+01:00", history).allowed


def test_suppression_record_after_retention() -> None:
    history = [collected("2019-01-10"), {"at": "2021-06-01", "type": "objection"}]
    decision = retain("2023-06-01T10:00:00+02:00", history)
    assert decision.allowed and decision.basis == "SUPPRESSION-RECORD"
    assert (
        decision.expires_at is not None and decision.expires_at.date().isoformat() == "2024-06-01"
    )
    assert not retain("2024-06-01T00:00:00+02:00", history).allowed


def test_retention_outranks_suppression() -> None:
    history = [collected("2023-01-10"), {"at": "2023-06-01", "type": "objection"}]
    assert retain("2024-06-01T10:00:00+02:00", history).basis == "WITHIN-RETENTION"


def test_unknown_person_cannot_be_kept_but_can_be_refused_only_for_consent() -> None:
    assert codes(retain("2024-02-01T10:00:00+01:00", [])) == {"RETENTION-EXPIRED"}
    contact = run(case("2024-02-01T10:00:00+01:00", history=[]))
    assert codes(contact) == {"PROSPECT-NO-CONSENT"}


def test_expired_retention_blocks_contact() -> None:
    history = [
        collected("2020-01-10"),
        email_consent("2020-01-10"),
        {"at": "2023-05-01", "type": "interaction", "kind": "open"},
    ]
    decision = run(case("2024-02-01T10:00:00+01:00", history=history))
    assert codes(decision) == {"RETENTION-EXPIRED"}


def test_retention_is_the_senders() -> None:
    history = [
        collected("2020-01-10"),
        {"at": "2020-01-10", "type": "customer", "sender": "other-shop"},
    ]
    assert not retain("2024-02-01T10:00:00+01:00", history).allowed


def test_without_collection_the_first_event_starts_the_clock() -> None:
    history = [{"at": "2020-01-10", "type": "interaction", "kind": "open"}]
    assert retain("2023-01-09T12:00:00+01:00", history).allowed
    assert not retain("2023-01-10T12:00:00+01:00", history).allowed
