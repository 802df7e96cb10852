"""What every route shares, and the guard every route but two names.

`Context` is made once by `create_app` and kept on `app.state`: the settings, one
ledger connection a thread (a SQLite connection stays in its thread), the
metrics and the scrub jobs. A route asks for it as `ctx: Ctx`, and for its key
as `key: Read`, `Write` or `Admin`: the key is checked against the ledger at
every request, so a key revoked anywhere is refused here at once.
"""

import json
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from licite.errors import ProblemError
from licite.i18n import Lang, Text
from licite.ledger.ledger import Ledger
from licite.service.config import Settings
from licite.service.jobs import Jobs
from licite.service.keys import ApiKey, Scope, authenticate
from licite.service.metrics import Metrics


class Ledgers:
    """One ledger connection a thread, opened on first use, all closed at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Ledger] = []

    def get(self) -> Ledger:
        ledger: Ledger | None = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = Ledger.open(self.settings.database_url, environ=self.settings.environ)
            self._local.ledger = ledger
            with self._lock:
                self._opened.append(ledger)
        return ledger

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for ledger in opened:
            # A SQLite connection closes in its own thread only: it goes with its thread.
            with suppress(sqlite3.ProgrammingError):
                ledger.close()


@dataclass(frozen=True)
class Context:
    settings: Settings
    ledgers: Ledgers
    metrics: Metrics
    scrubs: Jobs

    @classmethod
    def of(cls, settings: Settings) -> "Context":
        return cls(
            settings,
            Ledgers(settings),
            Metrics(),
            Jobs(settings.scrub_dir, settings.database_url, settings.lang),
        )

    def ledger(self) -> Ledger:
        return self.ledgers.get()

    def lang_of(self, request: Request) -> Lang:
        wanted = request.headers.get("accept-language", "")[:2].lower()
        return "en" if wanted == "en" else "fr" if wanted == "fr" else self.settings.lang


async def _context(request: Request) -> Context:
    found: Context = request.app.state.licite
    return found


Ctx = Annotated[Context, Depends(_context)]

BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer lk_…`")


def guard(scope: Scope) -> Callable[..., Awaitable[ApiKey]]:
    async def check(
        request: Request,
        ctx: Ctx,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> ApiKey:
        if credentials is None:
            raise ProblemError(
                "unauthorized",
                Text(
                    "Authorization : en-tête « Bearer CLÉ » attendu",
                    "Authorization: a 'Bearer KEY' header is expected",
                ),
                {"WWW-Authenticate": "Bearer"},
            )
        key = authenticate(ctx.ledger(), credentials.credentials)
        if key is None:
            raise ProblemError(
                "unauthorized",
                Text(
                    "Authorization : clé inconnue ou révoquée",
                    "Authorization: unknown or revoked key",
                ),
                {"WWW-Authenticate": "Bearer"},
            )
        request.scope["licite.key"] = key.id
        if not key.allows(scope):
            raise ProblemError(
                "forbidden",
                Text(
                    f"Authorization : la clé {key.id} a la portée {key.scope!r},"
                    f" cette route demande {scope!r}",
                    f"Authorization: key {key.id} has scope {key.scope!r},"
                    f" this route needs {scope!r}",
                ),
            )
        return key

    return check


Read = Annotated[ApiKey, Depends(guard("read"))]
Write = Annotated[ApiKey, Depends(guard("write"))]
Admin = Annotated[ApiKey, Depends(guard("admin"))]


def as_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


async def body_of(request: Request) -> Any:
    """The request's JSON, for the routes that validate it with licite's own models."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ProblemError(
            "malformed-request",
            Text(
                f"body : JSON illisible ({error})".replace("\n", " "),
                f"body: unreadable JSON ({error})".replace("\n", " "),
            ),
        ) from None
