"""Every failure answered as a problem (RFC 9457): licite's errors, FastAPI's validation
and routing errors, and anything unexpected — logged by its type only, never its text."""

import json
import logging
from collections.abc import Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from licite.errors import LiciteError, ProblemError
from licite.i18n import Lang, Text
from licite.service.logs import log
from licite.service.problems import MEDIA_TYPE, kind_of, problem


def install_errors(app: FastAPI, lang_of: Callable[[Request], Lang]) -> None:
    def answer(
        request: Request, kind: str, text: Text, headers: dict[str, str] | None = None
    ) -> Response:
        body = problem(kind, text, lang_of(request))
        request.scope["licite.problem"] = kind
        return Response(
            json.dumps(body, ensure_ascii=False).encode(),
            status_code=body["status"],
            media_type=MEDIA_TYPE,
            headers=headers,
        )

    @app.exception_handler(LiciteError)
    async def licite_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, LiciteError)
        kind = kind_of(error)
        headers = error.headers if isinstance(error, ProblemError) else None
        return answer(request, kind, error.text, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        lines_fr, lines_en, malformed = [], [], False
        for item in list(error.errors())[:10]:
            where = ".".join(str(p) for p in item["loc"][1:]) or str(item["loc"][0])
            got = repr(item.get("input"))[:80]
            if item["type"] == "json_invalid":
                malformed = True
            lines_fr.append(f"{where} : {item['msg']} (valeur reçue : {got})")
            lines_en.append(f"{where}: {item['msg']} (got {got})")
        text = Text("\n".join(lines_fr), "\n".join(lines_en))
        return answer(request, "malformed-request" if malformed else "invalid-input", text)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 404:
            return answer(request, "not-found", Text("route inconnue", "no such route"))
        too_large = request.scope.get("licite.too_large")
        if error.status_code == 400 and too_large is not None:  # the body grew past the limit
            return answer(request, "too-large", too_large.text)
        if error.status_code == 400:  # FastAPI could not read the body
            return answer(
                request, "malformed-request", Text("body : illisible", "body: unreadable")
            )
        return Response(status_code=error.status_code, headers=error.headers)

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        log(
            logging.ERROR,
            "internal error",
            error=type(error).__name__,
            route=route_of(request.scope),
        )
        return answer(
            request,
            "internal",
            Text("erreur interne (voir les journaux)", "internal error (see the logs)"),
        )


def route_of(scope: MutableMapping[str, Any]) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "(unmatched)"
