"""Political communication: CNIL délib. 2012-020, GDPR art. 9, after the election."""

from __future__ import annotations

from typing import Any

from tests.builders import case, codes, collected, run

SENDER = {"id": "campaign-x", "kind": "political", "election_ends": "2022-04-24"}


def political(
    at: str, history: list[dict[str, Any]], channel: str = "email", action: str = "contact"
) -> Any:
    request: dict[str, Any] = {"action": action}
    if action == "contact":
        request |= {"channel": channel, "purpose": "political"}
    return run(case(at, request=request, sender=SENDER, history=history))


def political_consent(at: str = "2021-11-02", **fields: Any) -> dict[str, Any]:
    return {
        "at": at,
        "type": "consent",
        "channel": "email",
        "purpose": "political",
        "mechanism": "checkbox",
        **fields,
    }


MEMBER = [collected("2021-11-02", method="regular_contact", purpose="political")]
STRANGER = [collected("2021-11-02", method="form", purpose="political")]


def test_regular_contacts_and_consenting_people() -> None:
    assert political("2022-03-01T18:00:00+01:00", MEMBER).basis == "POLITICAL-REGULAR-CONTACT"
    consented = [*STRANGER, political_consent()]
    assert political("2022-03-01T18:00:00+01:00", consented).basis == "CONSENT"


def test_others_need_consent() -> None:
    assert codes(political("2022-03-01T18:00:00+01:00", STRANGER)) == {"POLITICAL-NO-CONSENT"}


def test_commercial_consent_is_not_political_consent() -> None:
    history = [*STRANGER, political_consent(purpose="commercial")]
    assert codes(political("2022-03-01T18:00:00+01:00", history)) == {
        "POLITICAL-NO-CONSENT",
        "CONSENT-NOT-SPECIFIC",
    }


def test_phone_and_automated_calls_too() -> None:
    for channel in ("sms", "phone_call", "automated_call"):
        assert codes(political("2022-03-01T18:00:00+01:00", STRANGER, channel)) == {
            "POLITICAL-NO-CONSENT"
        }, channel


def test_post_is_opt_out() -> None:
    assert political("2022-03-01T18:00:00+01:00", STRANGER, "post").basis == "OPT-OUT"


def test_opinions_inferred_always_block() -> None:
    history = [
        *MEMBER,
        political_consent(),
        {"at": "2021-12-01", "type": "opinion_inferred", "source": "likes"},
    ]
    assert codes(political("2022-03-01T18:00:00+01:00", history)) == {"POLITICAL-OPINION-INFERRED"}


def test_after_the_election_only_regular_and_consenting_people_remain() -> None:
    last_day = political("2022-04-24T23:59:59+02:00", STRANGER, action="retain")
    assert last_day.allowed and last_day.basis == "WITHIN-RETENTION"
    next_day = political("2022-04-25T00:00:00+02:00", STRANGER, action="retain")
    assert codes(next_day) == {"POLITICAL-ELECTION-ENDED"}
    assert political("2022-04-25T00:00:00+02:00", MEMBER, action="retain").allowed
    consented = [*STRANGER, political_consent(channel="sms")]
    assert political("2022-04-25T00:00:00+02:00", consented, action="retain").allowed


def test_a_withdrawn_political_consent_does_not_keep_the_data() -> None:
    history = [
        *STRANGER,
        political_consent(),
        {"at": "2022-01-05", "type": "withdrawal", "purpose": "political"},
    ]
    assert not political("2022-05-01T10:00:00+02:00", history, action="retain").allowed
    # A withdrawal for another channel leaves the email consent standing.
    partial = [
        *STRANGER,
        political_consent(),
        {"at": "2022-01-05", "type": "withdrawal", "channel": "sms"},
    ]
    assert political("2022-05-01T10:00:00+02:00", partial, action="retain").allowed


def test_election_end_blocks_any_contact() -> None:
    request = {"action": "contact", "channel": "email", "purpose": "transactional"}
    decision = run(
        case("2022-05-01T10:00:00+02:00", request=request, sender=SENDER, history=STRANGER)
    )
    assert codes(decision) == {"POLITICAL-ELECTION-ENDED"}


def test_social_network_harvest_without_information() -> None:
    history = [
        collected("2021-10-01", method="social_network", informed=False, purpose="political")
    ]
    assert codes(political("2022-03-01T18:00:00+01:00", history)) == {
        "PROVENANCE-NOT-INFORMED",
        "POLITICAL-NO-CONSENT",
    }
