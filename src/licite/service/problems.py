"""Errors as RFC 9457 problem details, naming the field and the value.

Every failure the API can answer is a `LiciteError` first (the one exception
tree), then one of the problem types below; the CLI's exit statuses map onto
them: 2 (invalid input) → 422 `invalid-input`, 3 (a moment outside what is
modelled) → 422 `not-modelled`, a store that cannot be reached → 503. Each
problem carries `detail` in the service's language, `details` in both, and
`errors`: one entry a bad field, with its `field` and the `value` received.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from licite.errors import (
    InvalidInput,
    LiciteError,
    NotModelled,
    ProblemError,
    StoreUnavailable,
    UnknownPerson,
)
from licite.i18n import Lang, Text

MEDIA_TYPE = "application/problem+json"
_BASE = "urn:licite:problem:"

TITLES: dict[str, tuple[int, Text]] = {
    "invalid-input": (422, Text("Entrée invalide", "Invalid input")),
    "malformed-request": (400, Text("Requête illisible", "Malformed request")),
    "not-modelled": (422, Text("Moment hors du droit modélisé", "Moment outside modelled law")),
    "unauthorized": (401, Text("Clé d'API absente ou inconnue", "Missing or unknown API key")),
    "forbidden": (403, Text("Portée de clé insuffisante", "Key scope not sufficient")),
    "not-found": (404, Text("Introuvable", "Not found")),
    "idempotency-conflict": (
        409,
        Text("Clé d'idempotence déjà utilisée", "Idempotency key already used"),
    ),
    "too-large": (413, Text("Requête trop grande", "Request too large")),
    "unavailable": (503, Text("Registre indisponible", "Ledger unavailable")),
    "internal": (500, Text("Erreur interne", "Internal error")),
}


class FieldError(BaseModel):
    field: str
    value: str | None = None
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details, with licite's `details` and `errors` members."""

    type: str
    title: str
    status: int
    detail: str
    details: dict[str, str] = Field(description="The detail in French and in English.")
    errors: list[FieldError] = []


def kind_of(error: LiciteError) -> str:
    if isinstance(error, ProblemError):
        return error.kind
    if isinstance(error, NotModelled):
        return "not-modelled"
    if isinstance(error, UnknownPerson):
        return "not-found"
    if isinstance(error, InvalidInput):
        return "invalid-input"
    if isinstance(error, StoreUnavailable):
        return "unavailable"
    return "internal"


def problem(kind: str, text: Text, lang: Lang) -> dict[str, Any]:
    status, title = TITLES[kind]
    return {
        "type": _BASE + kind,
        "title": title(lang),
        "status": status,
        "detail": text(lang),
        "details": {"fr": text.fr, "en": text.en},
        "errors": field_errors(text, lang),
    }


_LINE = re.compile(r"^(?P<field>[^\s:][^:]*?) ?: (?P<detail>.*)$")
_GOT = re.compile(r"\((?:got|valeur reçue :) (?P<value>.*)\)$")


def field_errors(text: Text, lang: Lang) -> list[dict[str, Any]]:
    """One entry a line of the message: licite's messages start with the field's path
    (`history[2].mechanism: …`) and end with the value received (`(got 'x')`)."""
    found: list[dict[str, Any]] = []
    for line in text(lang).splitlines():
        match = _LINE.match(line)
        if match is None or line.startswith("…"):
            continue
        entry: dict[str, Any] = {"field": match["field"].strip(), "detail": match["detail"]}
        got = _GOT.search(match["detail"])
        if got is not None:
            entry["value"] = got["value"]
        found.append(entry)
    return found


def responses(*kinds: str) -> dict[int | str, dict[str, Any]]:
    """The `responses` a route declares, for OpenAPI: each problem it may answer."""
    declared: dict[int | str, dict[str, Any]] = {}
    always = (
        "unauthorized",
        "forbidden",
        "malformed-request",
        "invalid-input",
        "too-large",
        "unavailable",
    )
    for kind in (*always, *kinds):
        status, title = TITLES[kind]
        described = declared.get(status, {}).get("description")
        declared[status] = {
            "model": Problem,
            "description": f"{described} | {title.en}" if described else title.en,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return declared
