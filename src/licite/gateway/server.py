"""The SMTP listener: aiosmtpd's protocol on an asyncio server, in the foreground
(`licite gateway`) or on a background thread (tests, bench)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.smtp import SMTP

from licite.gateway.handler import Handler

IDENT = "licite gateway"
DATA_LIMIT = 32 * 1024 * 1024
"""Octets a message may have (552 beyond, RFC 5321 §4.5.3.1.10)."""


def _protocol(handler: Handler) -> SMTP:
    # Its INFO lines name peers and its DEBUG lines addresses: warnings only.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    return SMTP(handler, ident=IDENT, data_size_limit=DATA_LIMIT, enable_SMTPUTF8=False)


async def serve(
    handler: Handler,
    host: str,
    port: int,
    ready: threading.Event | None = None,
    bound: list[int] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _protocol(handler), host, port)
    if bound is not None:
        bound.append(server.sockets[0].getsockname()[1])
    if ready is not None:
        ready.set()
    async with server:
        if stop is None:
            await server.serve_forever()
        else:
            await stop.wait()


@contextmanager
def running(handler: Handler, host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """The gateway listening on a thread of its own; yields the port it listens on."""
    handler.start()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    bound: list[int] = []

    def run() -> None:
        loop.run_until_complete(serve(handler, host, port, ready, bound, stop))

    thread = threading.Thread(target=run, name="licite-gateway-smtp", daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the gateway did not start listening")
    try:
        yield bound[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()
        handler.close()
