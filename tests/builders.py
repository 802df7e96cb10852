"""Small builders for case documents, so each test states only the facts it is about."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from licite.case import load_case
from licite.decision import Decision
from licite.engine import decide

REPO = Path(__file__).resolve().parent.parent
SHARED_CASEBOOK = REPO.parent / "shared" / "casebook"
EXAMPLES = REPO / "src" / "licite" / "examples"


PERSON: dict[str, Any] = {
    "kind": "consumer",
    "email": "marie@example.fr",
    "phone": "06 12 34 56 78",
    "postal_code": "75011",
}
"""A person with an address on every channel (SPEC §3: NO-ADDRESS otherwise)."""


def case(
    at: str,
    *,
    request: dict[str, Any] | None = None,
    person: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    sender: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A case document: by default a shop emailing a consumer it has a checkbox consent from."""
    return {
        "id": "test",
        "at": at,
        "sender": sender or {"id": "shop", "kind": "company"},
        "request": request
        or {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"},
        "person": person or dict(PERSON),
        "history": history if history is not None else [],
    }


def email_consent(at: str = "2024-01-10", **fields: Any) -> dict[str, Any]:
    event = {
        "at": at,
        "type": "consent",
        "channel": "email",
        "purpose": "commercial",
        "sender": "shop",
        "mechanism": "checkbox",
    }
    event.update(fields)
    return event


def collected(at: str = "2024-01-10", **fields: Any) -> dict[str, Any]:
    event = {
        "at": at,
        "type": "collected",
        "method": "form",
        "informed": True,
        "purpose": "commercial",
    }
    event.update(fields)
    return event


def run(document: dict[str, Any]) -> Decision:
    return decide(load_case(copy.deepcopy(document)))


def codes(decision: Decision) -> set[str]:
    return set(decision.codes)
