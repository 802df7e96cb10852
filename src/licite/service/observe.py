"""The middleware around every request: a log line and metrics, and the body limit."""

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from licite.errors import ProblemError
from licite.i18n import Lang, Text
from licite.service.handlers import route_of
from licite.service.logs import log
from licite.service.metrics import Metrics
from licite.service.problems import MEDIA_TYPE, problem

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class Observe:
    """Logs and counts every request: its route's template, status, time, key id.

    It also refuses a body larger than LICITE_BODY_MAX before anything reads it (by its
    Content-Length), or as soon as a body sent in chunks grows past it."""

    def __init__(self, app: ASGIApp, metrics: Metrics, body_max: int, lang: Lang) -> None:
        self.app = app
        self.metrics = metrics
        self.body_max = body_max
        self.lang = lang

    def _too_large(self) -> ProblemError:
        return ProblemError(
            "too-large",
            Text(
                f"body : plus de {self.body_max} octets (LICITE_BODY_MAX)",
                f"body: more than {self.body_max} bytes (LICITE_BODY_MAX)",
            ),
        )

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        received = 0

        async def receiving() -> Any:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.body_max:
                scope["licite.too_large"] = self._too_large()
                raise scope["licite.too_large"]
            return message

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if not length.isdigit() or int(length) > self.body_max:
                await self._refuse(send)
                status = 413
            else:
                await self.app(scope, receiving, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            log(
                logging.INFO,
                "request",
                method=scope["method"],
                route=route,
                status=status,
                ms=round(elapsed * 1000, 2),
                key=scope.get("licite.key"),
                problem=scope.get("licite.problem"),
            )

    async def _refuse(self, send: Callable[[Any], Awaitable[None]]) -> None:
        body = json.dumps(problem("too-large", self._too_large().text, self.lang)).encode()
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
