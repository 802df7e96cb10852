"""The aiosmtpd handler: SMTP in, `relaying.Gateway` on one worker thread, the reply out.

A recipient is checked at RCPT only for what needs no campaign (an address, not too many
recipients): the campaign is named in the message's header, read after DATA, so the
decision of each recipient and its 550 come in the reply to DATA (RFC 5321 §3.3). Each
worker thread (`LICITE_GATEWAY_WORKERS`) has its own ledger connection and its own
upstream connection, and handles one message at a time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
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

    def __init__(
        self, make: Callable[[], Gateway], max_recipients: int = 100, workers: int = 1
    ) -> None:
        self._workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="licite-gateway")
        self._local = threading.local()
        self._make = make
        self.max_recipients = max_recipients

    def start(self) -> None:
        """Open each worker's ledger connection and upstream relay, before the first client."""
        self._on_every_worker(self._open)

    def _open(self) -> Gateway:
        gateway: Gateway | None = getattr(self._local, "gateway", None)
        if gateway is None:
            gateway = self._local.gateway = self._make()
        return gateway

    def close(self) -> None:
        def shut() -> None:
            gateway: Gateway | None = getattr(self._local, "gateway", None)
            if gateway is not None:
                gateway.close()
                gateway.ledger.close()
                self._local.gateway = None

        self._on_every_worker(shut)
        self._pool.shutdown()

    def _on_every_worker(self, task: Callable[[], object]) -> None:
        """Run `task` once on each worker thread: each waits for the others, so no thread
        takes two (a connection belongs to the thread that opened it)."""
        barrier = threading.Barrier(self._workers)

        def once() -> None:
            barrier.wait(60)
            task()

        for future in [self._pool.submit(once) for _ in range(self._workers)]:
            future.result()

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
                self._pool, self._handle, sender, list(envelope.rcpt_tos), content
            )
        except Exception as error:  # never a traceback to the client, never a lost message
            log.error("gateway: unexpected %s", type(error).__name__)
            text = Text("erreur interne, reessayez", "internal error, try again")
            return replies.reply(451, "4.3.0", [replies.bilingual(text)])

    def _handle(self, mail_from: str, recipients: list[str], content: bytes) -> str:
        return self._open().handle(mail_from, recipients, content)
