"""CPCE L34-5: electronic marketing, its exceptions, the message itself; objections."""

from __future__ import annotations

from typing import Any

import pytest

from licite.errors import NotModelled
from tests.builders import case, codes, collected, email_consent, run

AT = "2024-03-05T10:00:00+01:00"


def contact(
    channel: str = "email", purpose: str = "commercial", offer: str = "shoes", **fields: Any
) -> dict[str, Any]:
    return {"action": "contact", "channel": channel, "purpose": purpose, "offer": offer, **fields}


def test_not_modelled_before_the_lcen() -> None:
    with pytest.raises(NotModelled):
        run(case("2004-06-21T23:59:59+02:00", history=[collected("2004-01-01")]))
    decision = run(case("2004-06-22T00:00:00+02:00", history=[collected("2004-01-01")]))
    assert codes(decision) == {"PROSPECT-NO-CONSENT"}


def test_prior_consent_allows() -> None:
    decision = run(case(AT, history=[collected(), email_consent()]))
    assert decision.allowed and decision.basis == "CONSENT"
    assert {o.code for o in decision.obligations} == {"OBL-IDENTIFY-SENDER", "OBL-OPT-OUT-MEANS"}


@pytest.mark.parametrize(
    ("mechanism", "code"),
    [
        ("terms_acceptance", "CONSENT-VIA-TERMS"),
        ("preticked", "CONSENT-PRETICKED"),
        ("misleading_design", "CONSENT-MISLEADING"),
        ("implicit", "CONSENT-IMPLICIT"),
    ],
)
def test_invalid_consent_counts_as_none(mechanism: str, code: str) -> None:
    decision = run(case(AT, history=[collected(), email_consent(mechanism=mechanism)]))
    assert not decision.allowed
    assert codes(decision) == {"PROSPECT-NO-CONSENT", code}


@pytest.mark.parametrize("mechanism", ["checkbox", "double_opt_in", "clear_act", "oral_recorded"])
def test_valid_mechanisms(mechanism: str) -> None:
    assert run(case(AT, history=[collected(), email_consent(mechanism=mechanism)])).allowed


@pytest.mark.parametrize(
    "other", [{"channel": "sms"}, {"purpose": "charitable"}, {"sender": "partner"}]
)
def test_consent_is_specific_to_channel_purpose_and_sender(other: dict[str, str]) -> None:
    decision = run(case(AT, history=[collected(), email_consent(**other)]))
    assert codes(decision) == {"PROSPECT-NO-CONSENT", "CONSENT-NOT-SPECIFIC"}


def test_consent_for_all_channels_and_default_sender() -> None:
    event = email_consent(channel="all")
    del event["sender"]
    assert run(case(AT, request=contact("sms"), history=[collected(), event])).basis == "CONSENT"


def test_withdrawn_consent() -> None:
    history = [
        collected(),
        email_consent(),
        {"at": "2024-02-01", "type": "withdrawal", "channel": "email"},
    ]
    assert codes(run(case(AT, history=history))) == {"PROSPECT-NO-CONSENT", "CONSENT-WITHDRAWN"}


def test_a_withdrawal_before_the_consent_does_not_withdraw_it() -> None:
    history = [
        collected(),
        {"at": "2024-01-05", "type": "withdrawal", "channel": "email"},
        email_consent("2024-01-10"),
    ]
    assert run(case(AT, history=history)).allowed


def test_soft_opt_in() -> None:
    history = [
        collected("2023-11-20", method="sale", opt_out_offered=True),
        {"at": "2023-11-20", "type": "customer", "products": ["Shoes", "socks"]},
    ]
    decision = run(case(AT, request=contact(offer="  SHOES "), history=history))
    assert decision.allowed and decision.basis == "SOFT-OPT-IN"
    # A purchase without a contract: a former customer, kept 3 years from it (SPEC 1.6, v2).
    assert decision.expires_at is not None
    assert decision.expires_at.isoformat() == "2026-11-20T00:00:00+01:00"


def test_soft_opt_in_needs_the_chance_to_object_at_collection() -> None:
    history = [
        collected("2023-11-20", method="sale"),
        {"at": "2023-11-20", "type": "customer", "products": ["shoes"]},
    ]
    decision = run(case(AT, history=history))
    assert codes(decision) == {"PROSPECT-NO-CONSENT", "SOFT-OPT-IN-NOT-OFFERED"}


def test_soft_opt_in_needs_an_analogous_offer() -> None:
    history = [
        collected("2023-11-20", method="sale"),
        {"at": "2023-11-20", "type": "customer", "products": ["shoes"]},
    ]
    decision = run(case(AT, request=contact(offer="insurance"), history=history))
    assert codes(decision) == {
        "PROSPECT-NO-CONSENT",
        "SOFT-OPT-IN-NOT-ANALOGOUS",
        "SOFT-OPT-IN-NOT-OFFERED",
    }


@pytest.mark.parametrize("channel", ["sms", "mms"])
def test_soft_opt_in_covers_sms_and_mms(channel: str) -> None:
    history = [
        collected("2023-11-20", method="sale", opt_out_offered=True),
        {"at": "2023-11-20", "type": "customer", "products": ["shoes"]},
    ]
    assert run(case(AT, request=contact(channel), history=history)).basis == "SOFT-OPT-IN"


@pytest.mark.parametrize("channel", ["fax", "automated_call", "inbox_ad"])
def test_no_soft_opt_in_and_no_detail_outside_email_sms_mms(channel: str) -> None:
    history = [
        collected("2023-11-20", method="sale"),
        {"at": "2023-11-20", "type": "customer", "products": ["shoes"]},
    ]
    decision = run(case(AT, request=contact(channel, offer="insurance"), history=history))
    assert codes(decision) == {"PROSPECT-NO-CONSENT"}


def test_consent_outranks_soft_opt_in() -> None:
    history = [
        collected("2023-11-20", method="sale", opt_out_offered=True),
        {"at": "2023-11-20", "type": "customer", "products": ["shoes"]},
        email_consent("2023-11-20"),
    ]
    assert run(case(AT, history=history)).basis == "CONSENT"


def test_professional_addressed_about_their_profession() -> None:
    person = {"kind": "professional", "email": "c.leroy@cabinet.example"}
    offered = collected(opt_out_offered=True)
    relevant = run(
        case(AT, person=person, request=contact(relates_to_profession=True), history=[offered])
    )
    assert relevant.allowed and relevant.basis == "B2B-RELEVANT"
    # A direct collection that gave no chance to object: no B2B exception (v2).
    not_offered = run(
        case(AT, person=person, request=contact(relates_to_profession=True), history=[collected()])
    )
    assert codes(not_offered) == {"PROSPECT-NO-CONSENT", "B2B-NO-OPT-OUT"}
    unrelated = run(case(AT, person=person, history=[collected()]))
    assert codes(unrelated) == {"PROSPECT-NO-CONSENT", "B2B-NOT-RELEVANT"}


@pytest.mark.parametrize("channel", ["fax", "automated_call"])
def test_fax_and_automated_calls_to_professionals_need_consent(channel: str) -> None:
    person = {"kind": "professional", "email": "c.leroy@cabinet.example", "phone": "0140000000"}
    decision = run(
        case(
            AT,
            person=person,
            request=contact(channel, relates_to_profession=True),
            history=[collected()],
        )
    )
    assert codes(decision) == {"PROSPECT-NO-CONSENT"}


def test_generic_business_address_still_blocked_by_objection() -> None:
    person = {"kind": "generic_business_address", "email": "contact@acme.example"}
    assert run(case(AT, person=person, history=[collected()])).basis == "GENERIC-ADDRESS"
    objected = [collected(), {"at": "2024-02-01", "type": "objection", "channel": "email"}]
    assert codes(run(case(AT, person=person, history=objected))) == {"OBJECTED"}


def test_inbox_ads_are_email_marketing() -> None:
    decision = run(case(AT, request=contact("inbox_ad"), history=[collected()]))
    assert codes(decision) == {"PROSPECT-NO-CONSENT"}
    consented = [collected(), email_consent(channel="inbox_ad")]
    assert run(case(AT, request=contact("inbox_ad"), history=consented)).basis == "CONSENT"


def test_charitable_appeal_is_outside_l34_5_but_not_objections() -> None:
    request = contact(purpose="charitable")
    assert run(case(AT, request=request, history=[collected()])).basis == "NON-COMMERCIAL"
    objected = [collected(), {"at": "2024-02-01", "type": "objection", "channel": "all"}]
    assert codes(run(case(AT, request=request, history=objected))) == {"OBJECTED"}


def test_transactional_messages_are_not_blocked_by_objection() -> None:
    history = [
        collected(),
        {"at": "2024-02-01", "type": "objection", "channel": "all", "sender": "all"},
    ]
    decision = run(case(AT, request=contact(purpose="transactional"), history=history))
    assert decision.allowed and decision.basis == "NOT-PROSPECTING"
    assert not decision.obligations


def test_post_is_opt_out() -> None:
    assert run(case(AT, request=contact("post"), history=[collected()])).basis == "OPT-OUT"
    by_email = [collected(), {"at": "2024-02-01", "type": "objection", "channel": "email"}]
    assert run(case(AT, request=contact("post"), history=by_email)).allowed
    by_post = [collected(), {"at": "2024-02-01", "type": "objection", "channel": "post"}]
    assert codes(run(case(AT, request=contact("post"), history=by_post))) == {"OBJECTED"}


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"identifies_sender": False}, "MSG-SENDER-HIDDEN"),
        ({"opt_out": False}, "MSG-NO-OPT-OUT"),
        ({"subject_related": False}, "MSG-SUBJECT-UNRELATED"),
    ],
)
def test_the_message_itself(message: dict[str, bool], code: str) -> None:
    decision = run(
        case(AT, request=contact(message=message), history=[collected(), email_consent()])
    )
    assert codes(decision) == {code}


def test_a_compliant_message_carries_no_obligation() -> None:
    message = {"identifies_sender": True, "opt_out": True, "subject_related": True}
    decision = run(
        case(AT, request=contact(message=message), history=[collected(), email_consent()])
    )
    assert decision.allowed and not decision.obligations


def test_every_blocking_reason_is_reported() -> None:
    message = {"identifies_sender": False, "opt_out": False, "subject_related": False}
    history = [collected(), {"at": "2024-02-01", "type": "objection"}]
    decision = run(case(AT, request=contact(message=message), history=history))
    assert codes(decision) == {
        "PROSPECT-NO-CONSENT",
        "OBJECTED",
        "MSG-SENDER-HIDDEN",
        "MSG-NO-OPT-OUT",
        "MSG-SUBJECT-UNRELATED",
    }


class TestObjection:
    def test_objection_blocks_whatever_the_basis(self) -> None:
        history = [
            collected(),
            email_consent(),
            {"at": "2024-02-01", "type": "objection", "channel": "email"},
        ]
        assert codes(run(case(AT, history=history))) == {"OBJECTED"}

    def test_objection_for_all_senders(self) -> None:
        history = [
            collected(),
            email_consent(),
            {"at": "2024-02-01", "type": "objection", "sender": "all"},
        ]
        assert codes(run(case(AT, history=history))) == {"OBJECTED"}

    def test_objection_to_another_sender_or_channel(self) -> None:
        history = [
            collected(),
            email_consent(),
            {"at": "2024-02-01", "type": "objection", "sender": "partner"},
            {"at": "2024-02-01", "type": "objection", "channel": "sms"},
        ]
        assert run(case(AT, history=history)).allowed

    def test_a_strictly_later_consent_restores(self) -> None:
        history = [
            collected(),
            {"at": "2024-02-01", "type": "objection"},
            email_consent("2024-02-01T00:00:01"),
        ]
        assert run(case(AT, history=history)).basis == "CONSENT"

    def test_a_consent_at_the_same_instant_does_not(self) -> None:
        history = [
            collected(),
            {"at": "2024-02-01", "type": "objection"},
            email_consent("2024-02-01"),
        ]
        assert codes(run(case(AT, history=history))) == {"OBJECTED"}

    def test_an_invalid_later_consent_does_not(self) -> None:
        history = [
            collected(),
            {"at": "2024-02-01", "type": "objection"},
            email_consent("2024-02-02", mechanism="preticked"),
        ]
        decision = run(case(AT, history=history))
        assert "OBJECTED" in codes(decision)

    def test_citation_follows_the_date(self) -> None:
        history = [
            collected("2015-01-01"),
            email_consent("2015-01-01"),
            {"at": "2016-01-01", "type": "objection"},
        ]
        before = run(case("2018-05-24T12:00:00+02:00", history=history))
        after = run(case("2018-05-25T00:00:00+02:00", history=history))
        assert before.reasons[0].citation.startswith("Loi n° 78-17")
        assert before.reasons[0].in_force_since == "2004-06-22"
        assert after.reasons[0].citation.startswith("RGPD art. 21")
        assert after.reasons[0].in_force_since == "2018-05-25"

    def test_events_after_the_moment_are_ignored(self) -> None:
        history = [
            collected(),
            email_consent(),
            {"at": "2024-03-05T10:00:01+01:00", "type": "objection"},
        ]
        assert run(case(AT, history=history)).allowed
