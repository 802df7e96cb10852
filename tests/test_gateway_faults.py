"""The gateway under faults and hostile messages (issue 19): it fails closed, answers with
the right SMTP code, and neither loses nor doubles a message."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway_support import Downstream, downstream, gateway, log_rows, mail, send
from tests.test_person_support import Person, person_side

ANNE, BRUNO = "anne@example.org", "bruno@example.org"


@pytest.fixture
def side(tmp_path: Path) -> Iterator[Person]:
    with person_side(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as running:
        yield running


@pytest.fixture
def down() -> Iterator[Downstream]:
    with downstream() as server:
        yield server


def refused(port: int, content: bytes, recipients: list[str] | None = None) -> tuple[int, str]:
    with pytest.raises(smtplib.SMTPDataError) as caught:
        send(port, recipients or [ANNE], content)
    error = caught.value.smtp_error
    return caught.value.smtp_code, error.decode() if isinstance(error, bytes) else error


def consent(side: Person, person: str) -> None:
    event = {
        "person": person,
        "at": "2026-02-01T10:00:00+01:00",
        "type": "consent",
        "channel": "email",
        "purpose": "commercial",
        "sender": "shop",
        "mechanism": "checkbox",
    }
    answer = side.client.post("/v1/events", json={"events": [event]}, headers=side.headers())
    answer.raise_for_status()


@pytest.mark.parametrize(
    ("campaign", "extra", "named"),
    [
        (None, [], "header missing"),
        ("spring-sale", [], "no campaign 'spring-sale' registered"),
        ("winter mail", [], "not a campaign id"),
        # An injected line is only another field: the campaign value is what is checked.
        ("winter-mail\r\n\tBcc: victim@example.org", [], "not a campaign id"),
        ("=?utf-8?q?winter-mail?=", [], "not a campaign id"),
        ("winter-mail", [("X-Licite-Campaign", "other")], "exactly one header expected"),
    ],
)
def test_a_bad_campaign_header_is_refused_naming_it(
    side: Person, down: Downstream, campaign: str | None, extra: list[tuple[str, str]], named: str
) -> None:
    with gateway(side, down) as port:
        code, text = refused(port, mail(campaign, extra=extra))
    assert code == 550
    assert text.startswith("5.7.1 X-Licite-Campaign: ")
    assert named in text
    assert "en-tete" in text or "campagne" in text or "identifiant" in text  # French too
    assert down.sink.received == []


def test_a_campaign_for_another_channel_is_refused(side: Person, down: Downstream) -> None:
    from licite.service.campaigns import add_campaign

    with side.ledger() as ledger:
        add_campaign(
            ledger,
            {
                "id": "sms-promo",
                "sender": {"id": "shop", "kind": "company"},
                "request": {"action": "contact", "channel": "sms", "purpose": "commercial"},
            },
        )
    with gateway(side, down) as port:
        code, text = refused(port, mail("sms-promo"))
    assert code == 550 and "not an email contact (contact sms)" in text


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (mail(sender=None), "MSG-SENDER-HIDDEN"),
        (mail(subject=""), "MSG-SUBJECT-UNRELATED"),
        (mail(body="Bonjour de la part de Shop, nos vélos arrivent."), "MSG-NO-OPT-OUT"),
        # A From, but the text never says who writes (LCEN art. 19's footer).
        (mail(body="Nos vélos arrivent. Se désabonner : ici."), "MSG-SENDER-HIDDEN"),
    ],
)
def test_a_message_without_what_l34_5_demands_is_refused_whole(
    side: Person, down: Downstream, content: bytes, code: str
) -> None:
    consent(side, "p2")
    with gateway(side, down) as port:
        status, text = refused(port, content, [ANNE, BRUNO])
    assert status == 550
    assert text.startswith(f"5.7.1 {code} CPCE art. L34-5")
    assert "whole message refused" in text
    assert down.sink.received == []
    assert {row[3] for row in log_rows(side)} == {"refused"}


def test_upstream_stopped_before_gives_451_and_the_retry_delivers(
    side: Person, down: Downstream
) -> None:
    content = mail()
    with gateway(side, down) as port:
        down.stop()
        code, text = refused(port, content)
        assert code == 451 and text.startswith("4.4.1 upstream unreachable")
        assert log_rows(side) == []  # neither delivered nor refused: the client retries
        down.start()  # same port
        assert send(port, [ANNE], content) == {}
    assert len(down.sink.received) == 1


@pytest.mark.parametrize("failure", ["451 4.3.0 downstream busy", "drop"])
def test_upstream_failing_during_a_message_gives_451_and_no_double(
    side: Person, down: Downstream, failure: str
) -> None:
    consent(side, "p2")
    content = mail()
    down.sink.fail_from, down.sink.failure = 1, failure  # the second copy fails
    with gateway(side, down) as port:
        code, _ = refused(port, content, [ANNE, BRUNO])
        assert code == 451
        assert [r.rcpt_tos for r in down.sink.received] == [[ANNE]]
        down.sink.fail_from = None
        assert send(port, [ANNE, BRUNO], content) == {}  # the client's retry, same bytes
    assert [r.rcpt_tos for r in down.sink.received] == [[ANNE], [BRUNO]]  # no second ANNE
    assert [row[3] for row in log_rows(side)] == ["delivered", "delivered"]


def test_a_permanent_upstream_refusal_is_passed_on(side: Person, down: Downstream) -> None:
    down.sink.fail_from, down.sink.failure = 0, "554 5.7.1 blocked downstream"
    with gateway(side, down) as port:
        code, text = refused(port, mail())
    assert code == 554 and "upstream answered 554" in text
    assert [row[3:] for row in log_rows(side)] == [("upstream-refused", "554")]


def test_eight_bit_headers_and_body_pass_untouched(side: Person, down: Downstream) -> None:
    content = mail(
        subject="Vélos d'été", body="Écoutez Shop : ça roule — «vite».\n" + "Désabonner ici"
    )
    content = content.replace("Vélos d'été".encode(), "Vélos d'été".encode("latin-1"))
    with gateway(side, down) as port:
        assert send(port, [ANNE], content) == {}
    [got] = down.sink.received
    assert got.content.endswith(content.split(b"\r\n\r\n", 1)[1])
    assert "Vélos d'été".encode("latin-1") in got.content


def test_over_long_lines_and_bad_addresses_get_their_codes(side: Person, down: Downstream) -> None:
    long_body = mail(body="x" * 1200 + "\n" + "unsubscribe")
    with gateway(side, down) as port:
        code, text = refused(port, long_body)
        assert code == 500 and "Line too long" in text
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.ehlo()
            client.mail("news@shop.example")
            assert client.rcpt("not-an-address")[0] == 553
            assert client.rcpt("x" * 1100 + "@example.org")[0] == 500
            assert client.rcpt(ANNE)[0] == 250
    assert down.sink.received == []


def test_recipients_beyond_the_limit_are_deferred(side: Person, down: Downstream) -> None:
    with (
        gateway(side, down, LICITE_GATEWAY_MAX_RECIPIENTS="2") as port,
        smtplib.SMTP("127.0.0.1", port) as client,
    ):
        client.ehlo()
        client.mail("news@shop.example")
        assert client.rcpt(ANNE)[0] == 250
        assert client.rcpt(BRUNO)[0] == 250
        code, text = client.rcpt("third@example.org")
    assert code == 452 and text.startswith(b"4.5.3 at most 2 recipients")


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"From: a@shop.example\r\nnot a header line\r\n\r\nbody\r\n", "not a header line"),
        # A campaign header (and a Bcc) smuggled behind a bare LF inside another field.
        (
            mail(subject="Hi\nX-Licite-Campaign: winter-mail\nBcc: x@example.org"),
            "bare LF or CR",
        ),
        (mail(subject="Hi\rBcc: x@example.org"), "bare LF or CR"),
    ],
)
def test_an_unreadable_header_block_is_refused(
    side: Person, down: Downstream, content: bytes, named: str
) -> None:
    with gateway(side, down) as port:
        code, text = refused(port, content)
    assert code == 550 and text.startswith("5.6.0 message not readable, header fields: ")
    assert named in text
    assert down.sink.received == []


def test_a_message_from_the_null_sender_is_never_bounced(side: Person, down: Downstream) -> None:
    with gateway(side, down) as port, smtplib.SMTP("127.0.0.1", port) as client:
        refused_now = client.sendmail("<>", [ANNE, "nobody@example.org"], mail())
    assert refused_now == {}  # 250: one reached, the other named in the reply text
    assert [(r.mail_from, r.rcpt_tos) for r in down.sink.received] == [("<>", [ANNE])]
