"""The mail gateway end to end (issue 19): smtplib → gateway → a real downstream server.

Refused recipients get 550 5.7.1 with their codes and citations; allowed ones arrive,
one copy each, with their own one-click unsubscribe link and without the campaign
header; a POST to that link makes the next message to the person refused."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from licite.ledger.crypto import keyed_hash
from tests.gateway_support import Downstream, downstream, gateway, log_rows, mail, send
from tests.test_ledger_support import BACKENDS, store_url
from tests.test_person_support import Person, person_side

ANNE, BRUNO = "anne@example.org", "bruno@example.org"


@pytest.fixture(params=BACKENDS)
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Person]:
    with store_url(request.param, tmp_path) as url, person_side(url, tmp_path) as running:
        yield running


@pytest.fixture
def down() -> Iterator[Downstream]:
    with downstream() as server:
        yield server


def test_an_allowed_recipient_gets_the_headers_and_not_the_campaign(
    side: Person, down: Downstream
) -> None:
    with gateway(side, down) as port:
        assert send(port, [ANNE], mail()) == {}
    [got] = down.sink.received
    assert got.rcpt_tos == [ANNE]
    message = got.message
    assert message["X-Licite-Campaign"] is None
    assert b"x-licite-campaign" not in got.content.lower()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    targets = str(message["List-Unsubscribe"])
    assert targets.startswith("<https://prefs.example/u/")
    assert "<mailto:unsubscribe@shop.example?subject=unsubscribe%20" in targets
    assert message.get_content().startswith("Bonjour, nos vélos")  # 8-bit body untouched
    assert [row[3:] for row in log_rows(side)] == [("delivered", "CONSENT")]


def test_a_refused_recipient_gets_550_with_the_code_and_nothing_goes_out(
    side: Person, down: Downstream
) -> None:
    with gateway(side, down) as port, pytest.raises(smtplib.SMTPDataError) as caught:
        send(port, [BRUNO], mail())
    assert caught.value.smtp_code == 550
    error = caught.value.smtp_error
    text = error.decode() if isinstance(error, bytes) else error
    assert text.startswith("5.7.1 PROSPECT-NO-CONSENT CPCE art. L34-5")
    assert down.sink.received == []
    [row] = log_rows(side)
    assert row[2:] == ("p2", "refused", "PROSPECT-NO-CONSENT")
    with side.ledger() as ledger:
        assert row[1] == keyed_hash(ledger.keys.hmac, BRUNO)  # the hash, never the address


def test_an_unknown_address_is_decided_as_an_unknown_person(side: Person, down: Downstream) -> None:
    with gateway(side, down) as port, pytest.raises(smtplib.SMTPDataError) as caught:
        send(port, ["Nobody@Example.org"], mail())
    assert caught.value.smtp_code == 550
    assert b"PROSPECT-NO-CONSENT" in caught.value.smtp_error
    assert log_rows(side)[0][2:] == (None, "refused", "PROSPECT-NO-CONSENT")


def test_mixed_recipients_each_get_their_own_copy_and_link(side: Person, down: Downstream) -> None:
    side.client.post(
        "/v1/events",
        json={
            "events": [
                {
                    "person": "p2",
                    "at": "2026-02-01T10:00:00+01:00",
                    "type": "consent",
                    "channel": "email",
                    "purpose": "commercial",
                    "sender": "shop",
                    "mechanism": "double_opt_in",
                }
            ]
        },
        headers=side.headers(),
    ).raise_for_status()
    with gateway(side, down) as port, smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("news@shop.example", ["BODY=8BITMIME"])
        for address in (ANNE, BRUNO, "nobody@example.org"):
            assert client.rcpt(address)[0] == 250
        code, text = client.data(mail())
    assert code == 250
    assert b"2 reached, 1 refused" in text
    assert b"<nobody@example.org> PROSPECT-NO-CONSENT" in text
    *copies, bounce = down.sink.received
    assert sorted(r.rcpt_tos[0] for r in copies) == [ANNE, BRUNO]
    links = {str(r.message["List-Unsubscribe"]).split(">")[0] for r in copies}
    assert len(links) == 2  # one link per person
    # The refusal goes back to the sender as a bounce (RFC 3464), the reply being 250.
    assert (bounce.mail_from, bounce.rcpt_tos) == ("<>", ["news@shop.example"])
    report = bounce.message
    assert report.get_content_type() == "multipart/report"
    parts = list(report.iter_parts())
    blocks = parts[1].get_payload()  # delivery-status: the message's block, one a recipient
    assert isinstance(blocks, list) and isinstance(blocks[1], Message)
    status = blocks[1]
    assert status["Final-Recipient"] == "rfc822; nobody@example.org"
    assert status["Status"] == "5.7.1"
    assert "PROSPECT-NO-CONSENT CPCE art. L34-5" in status["Diagnostic-Code"]
    assert "X-Licite-Campaign" not in str(parts[2])


def test_the_unsubscribe_link_of_a_delivered_copy_refuses_the_next_message(
    side: Person, down: Downstream
) -> None:
    with gateway(side, down) as port:
        send(port, [ANNE], mail())
        url = str(down.sink.received[0].message["List-Unsubscribe"]).split(">")[0][1:]
        done = side.client.post(
            urlsplit(url).path,
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200, done.text
        with pytest.raises(smtplib.SMTPDataError) as caught:
            send(port, [ANNE], mail(subject="Encore des vélos"))
    assert caught.value.smtp_code == 550
    assert b"OBJECTED" in caught.value.smtp_error
    assert len(down.sink.received) == 1


def test_bcc_is_never_shown_to_a_copy_reader(side: Person, down: Downstream) -> None:
    content = mail(extra=[("Bcc", "secret-partner@example.org")])
    with gateway(side, down) as port:
        assert send(port, [ANNE], content) == {}
    [got] = down.sink.received
    assert b"secret-partner" not in got.content
    assert got.message["Bcc"] is None


def test_the_campaign_report_and_the_dashboard_show_what_the_gateway_did(
    side: Person, down: Downstream
) -> None:
    with gateway(side, down) as port:
        send(port, [ANNE], mail())
        for address in (BRUNO, "nobody@example.org"):
            with pytest.raises(smtplib.SMTPDataError):
                send(port, [address], mail())
    answer = side.client.get("/v1/campaigns/winter-mail", headers=side.headers())
    assert answer.status_code == 200, answer.text
    assert answer.json()["gateway"] == {
        "delivered": 1,
        "refused": 2,
        "refused_by_code": {"PROSPECT-NO-CONSENT": 2},
    }
    page = side.client.get("/dpo?lang=en", headers=side.headers())
    assert page.status_code == 200
    assert "<h2>Mail gateway</h2>" in page.text
    assert "<tr><td>winter-mail</td><td>1</td><td>2</td><td>PROSPECT-NO-CONSENT 2</td></tr>" in (
        page.text
    )


def test_an_erased_persons_address_stays_refused(side: Person, down: Downstream) -> None:
    from licite.ledger.erasure import erase

    with side.ledger() as ledger:
        erase(ledger, "p1")  # Anne had consented; her record is gone, her objection is not
    with gateway(side, down) as port, pytest.raises(smtplib.SMTPDataError) as caught:
        send(port, [ANNE], mail())
    assert caught.value.smtp_code == 550
    assert "OBJECTED" in str(caught.value.smtp_error)
    assert down.sink.received == []
    assert log_rows(side)[0][2] is None  # decided as an address the ledger does not hold


def test_the_persons_dossier_lists_the_gateways_messages(side: Person, down: Downstream) -> None:
    with gateway(side, down) as port:
        send(port, [ANNE], mail())
        side.client.post(
            "/v1/people",
            json={"people": [{"id": "p3", "kind": "consumer", "email": "carla@example.org"}]},
            headers=side.headers(),
        ).raise_for_status()
        with pytest.raises(smtplib.SMTPDataError):
            send(port, ["carla@example.org"], mail())
    anne = side.client.get("/v1/people/p1/dossier", headers=side.headers()).json()
    [message] = anne["messages"]
    assert (message["campaign"], message["outcome"], message["codes"]) == (
        "winter-mail",
        "delivered",
        ["CONSENT"],
    )
    carla = side.client.get("/v1/people/p3/dossier", headers=side.headers()).json()
    assert [m["codes"] for m in carla["messages"]] == [["PROSPECT-NO-CONSENT"]]
    bruno = side.client.get("/v1/people/p2/dossier", headers=side.headers()).json()
    assert bruno["messages"] == []
