"""The aiosmtpd handler: SMTP in, `relaying.Gateway` on one worker thread, the reply out.

A recipient is checked at RCPT only for what needs no campaign (an address, not too many
recipients): the campaign is named in the message's header, read after DATA, so the
decision of each recipient and its 550 come in the reply to DATA (RFC 5321 §3.3). The
ledger's connection and the upstream connection live on the worker thread; messages are
handled one at a time in the order their DATA ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from licite.gateway import replies
from licite.gateway.recipients import normalized
from licite.gateway.relaying import Gateway
from licite.i18n import Text

log = logging.getLogger("licite.service.gateway")


class Handler:
    """aiosmtpd's handler protocol: `handle_RCPT` and `handle_DATA` (aiosmtpd ≥ 1.4)."""

    def __init__(self, make: Callable[[], Gateway], max_recipients: int = 100) -> None:
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="licite-gateway")
        self._gateway: Gateway | None = None
        self._make = make
        self.max_recipients = max_recipients

    def start(self) -> None:
        """Open the ledger and the settings on the worker thread, before the first client."""
        self._worker.submit(self._open).result()

    def _open(self) -> None:
        if self._gateway is None:
            self._gateway = self._make()

    def close(self) -> None:
        def shut() -> None:
            if self._gateway is not None:
                self._gateway.close()
                self._gateway.ledger.close()
                self._gateway = None

        self._worker.submit(shut).result()
        self._worker.shutdown()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if normalized(address) is None:
            text = Text("adresse invalide", "not an email address")
            return replies.reply(553, "5.1.3", [replies.bilingual(text)])
        if len(envelope.rcpt_tos) >= self.max_recipients:
            text = Text(
                f"au plus {self.max_recipients} destinataires, envoyez la suite a part",
                f"at most {self.max_recipients} recipients, send the rest separately",
            )
            return replies.reply(452, "4.5.3", [replies.bilingual(text)])
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or b""
        # aiosmtpd gives the null reverse-path as "<>": a bounce, never bounced again.
        sender = "" if envelope.mail_from in (None, "<>") else envelope.mail_from
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self._worker, self._handle, sender, list(envelope.rcpt_tos), content
            )
        except Exception as error:  # never a traceback to the client, never a lost message
            log.error("gateway: unexpected %s", type(error).__name__)
            text = Text("erreur interne, reessayez", "internal error, try again")
            return replies.reply(451, "4.3.0", [replies.bilingual(text)])

    def _handle(self, mail_from: str, recipients: list[str], content: bytes) -> str:
        self._open()
        assert self._gateway is not None
        return self._gateway.handle(mail_from, recipients, content)
