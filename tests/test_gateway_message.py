"""What the gateway reads in a message (issue 19): any bytes at all get an SMTP reply,
never an exception; the copy differs from the message only by its header fields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.gateway import Gateway, GatewaySettings
from licite.gateway.message import copy_for, facts, read
from licite.ledger import Ledger
from tests.gateway_support import FOOTER, mail
from tests.test_person_support import Person, person_side

REPLY = re.compile(r"[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3} [ -~]*(\r\n[245]\d\d[ -].*)*", re.S)


@pytest.fixture(scope="module")
def gateway_alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with no upstream at all: whatever it answers, it answers without one."""
    directory: Path = tmp_path_factory.mktemp("gateway")
    with person_side(f"sqlite:///{directory / 'ledger.db'}", directory) as side:
        gateway = _gateway(side)
        yield gateway
        gateway.close()
        gateway.ledger.close()


def _gateway(side: Person) -> Gateway:
    settings = GatewaySettings.from_environ("127.0.0.1:9", side.env)
    return Gateway(Ledger.open(side.url, environ=side.env), settings, side.env)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    head=st.lists(
        st.sampled_from(
            [
                b"From: a@shop.example",
                b"Subject: x",
                b"X-Licite-Campaign: winter-mail",
                b"X-Licite-Campaign: ",
                b"x-licite-campaign:\twinter-mail",
                b" folded",
                b"Bcc: b@example.org",
                b"Content-Type: text/plain; charset=x-unknown",
                b"Content-Transfer-Encoding: base64",
                b"Content-Type: multipart/mixed; boundary=zz",
                b"\xff\xfe: \x00",
                b"",
            ]
        ),
        max_size=8,
    ),
    body=st.binary(max_size=300),
)
def test_any_bytes_get_an_smtp_reply(
    gateway_alone: Gateway, head: list[bytes], body: bytes
) -> None:
    content = b"\r\n".join(head) + b"\r\n\r\n" + body
    answer = gateway_alone.handle("news@shop.example", ["bruno@example.org"], content)
    assert REPLY.fullmatch(answer), answer
    assert not answer.startswith("250")  # Bruno never consented: nothing goes out


def test_the_copy_changes_only_header_fields() -> None:
    content = mail(extra=[("List-Unsubscribe", "<https://elsewhere.example/u>")])
    message = read(content)
    copy = copy_for(
        message, [("List-Unsubscribe", "<https://a.example/u/x>, <mailto:u@a.example>")]
    )
    assert copy.endswith(message.body)
    head = copy[: len(copy) - len(message.body)]
    assert head.startswith(
        b"List-Unsubscribe: <https://a.example/u/x>,\r\n <mailto:u@a.example>\r\n"
    )
    assert b"elsewhere" not in copy and b"X-Licite-Campaign" not in copy
    assert head.count(b"List-Unsubscribe:") == 1


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("Pour vous DÉSINSCRIRE, écrivez-nous.", True),
        ('<a href="https://shop.example/prefs">Se désabonner</a>', True),
        ("Click here to unsubscribe.", True),
        ("Vous pouvez vous opposer à ces envois.", True),
        ("Bonjour, à bientôt.", False),
    ],
)
def test_a_way_to_object_is_found_in_the_text(body: str, found: bool) -> None:
    assert facts(read(mail(body=body))).opt_out is found


def test_a_base64_body_is_read_decoded() -> None:
    import base64

    encoded = base64.b64encode(FOOTER.encode()).decode()
    content = mail(body=encoded).replace(
        b"Content-Transfer-Encoding: 8bit", b"Content-Transfer-Encoding: base64"
    )
    assert facts(read(content)).opt_out is True


@pytest.mark.parametrize(
    ("sender", "body", "identified"),
    [
        ("Shop <news@shop.example>", "Les offres de SHOP. Se désabonner.", True),
        ("news@shop.example", "Écrivez à contact@shop.example. Se désabonner.", True),
        ("Vélos Dupont <n@velos-dupont.example>", "Vélos Dupont, Lyon. Se désabonner.", True),
        ("=?utf-8?q?V=C3=A9los_Dupont?= <n@vd.example>", "VÉLOS DUPONT. Se désabonner.", True),
        ("Shop <news@shop.example>", "Des offres ! Se désabonner.", False),
        ("Shop <a@shop.example>, Other <b@other.example>", "Shop. Se désabonner.", False),
        (None, "Shop. Se désabonner.", False),
    ],
)
def test_the_sender_is_named_by_from_and_in_the_text(
    sender: str | None, body: str, identified: bool
) -> None:
    assert facts(read(mail(sender=sender, body=body))).identifies_sender is identified
