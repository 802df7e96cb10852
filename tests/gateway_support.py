"""Shared helpers of the mail gateway's tests (issue 19): a real downstream SMTP server that
keeps what it receives, and the gateway listening in front of it on a real ledger."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP

from licite.gateway import Gateway, GatewaySettings, Handler, running
from licite.ledger import Ledger
from tests.test_person_support import Person

FROM = "Shop <news@shop.example>"
FOOTER = "Shop SAS, 1 rue des Vélos, Paris. Pour vous désabonner, suivez le lien ci-dessous."


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool = False
    auth: Any = None

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Sink:
    """aiosmtpd handler of the downstream server: keeps every message; `fail_from` makes
    the n-th message (0-based) and those after answer `failure` instead."""

    received: list[Received] = field(default_factory=list)
    fail_from: int | None = None
    failure: str = "451 4.3.0 downstream busy"
    seen: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.fail_from is not None and self.seen > self.fail_from:
            if self.failure == "drop":
                server.transport.close()
                return "421 4.3.2 closing"
            return self.failure
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                session.ssl is not None,
                session.auth_data,
            )
        )
        return "250 2.0.0 kept"


class Downstream:
    """The sending server the gateway relays to; can be stopped and started again."""

    def __init__(self, **smtp_options: Any) -> None:
        self.sink = Sink()
        self.options = smtp_options
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        ready = threading.Event()

        async def serve() -> None:
            server = await loop.create_server(
                lambda: SMTP(self.sink, ident="downstream", **self.options), "127.0.0.1", self.port
            )
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            async with server:
                await stop.wait()

        self._thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
        self._thread.start()
        assert ready.wait(30)
        self._loop, self._stop = loop, stop

    def stop(self) -> None:
        assert self._loop is not None and self._stop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self._loop.close()
        self._loop = None


@contextmanager
def downstream(**smtp_options: Any) -> Iterator[Downstream]:
    server = Downstream(**smtp_options)
    server.start()
    try:
        yield server
    finally:
        if server._loop is not None:
            server.stop()


@contextmanager
def gateway(side: Person, down: Downstream, **env: str) -> Iterator[int]:
    environ = {**side.env, **env}
    settings = GatewaySettings.from_environ(f"127.0.0.1:{down.port}", environ)

    def make() -> Gateway:
        return Gateway(Ledger.open(side.url, environ=environ), settings, environ)

    with running(Handler(make, settings.max_recipients, settings.workers)) as port:
        yield port


def mail(
    campaign: str | None = "winter-mail",
    *,
    subject: str = "Nouveaux vélos",
    body: str = "Bonjour, nos vélos arrivent.\n" + FOOTER,
    sender: str | None = FROM,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    lines = []
    if sender is not None:
        lines.append(f"From: {sender}")
    lines.append("To: undisclosed-recipients:;")
    if subject:
        lines.append(f"Subject: {subject}")
    if campaign is not None:
        lines.append(f"X-Licite-Campaign: {campaign}")
    lines += [f"{k}: {v}" for k, v in extra or []]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    lines.append("Content-Transfer-Encoding: 8bit")
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


def send(port: int, recipients: list[str], content: bytes) -> dict[str, tuple[int, bytes]]:
    """smtplib's own sendmail: the refused recipients, or an SMTP exception."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        options = ["BODY=8BITMIME"] if any(b > 127 for b in content) else []
        return client.sendmail("news@shop.example", recipients, content, options)


def log_rows(side: Person) -> list[tuple[Any, ...]]:
    with side.ledger() as ledger:
        return ledger.store.read(
            "SELECT campaign, recipient_hash, person_id, outcome, codes FROM gateway_log"
            " ORDER BY at_us"
        )
