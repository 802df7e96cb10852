"""What the person's routes share: their settings, the links key, and how a change is kept.

A person acts through a link (`links`), not an API key, so every change they make is
recorded with its proof (GDPR art. 7(1), and art. 21 for an objection): the moment, the
wording they were shown, the page and the link it came from (the link's digest, not the
link), their IP truncated and their user agent (`ledger.proof`, sealed with the person's
key). It goes through the same append as `POST /v1/events` (`writes.append`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from licite.i18n import Lang
from licite.ledger.config import database_url, parse_url
from licite.moments import PARIS
from licite.service.config import Settings
from licite.service.context import Context
from licite.service.grouped import Group, Grouped
from licite.service.links import Link, LinkRefused, links_key, read_token
from licite.service.person_config import PersonSettings
from licite.service.stops import Message, messages_group


@dataclass(frozen=True, slots=True)
class PersonSide:
    settings: PersonSettings
    links_key: bytes
    context: Context
    grouped: Grouped = field(default_factory=Grouped)
    messages: Group[Message, dict[str, Any]] = field(default_factory=messages_group)

    @classmethod
    def of(cls, settings: Settings, context: Context) -> PersonSide:
        location = parse_url(settings.database_url or database_url(settings.environ))
        return cls(
            PersonSettings.from_environ(settings.environ),
            links_key(location, settings.environ),
            context,
        )

    def read(self, token: str) -> Link:
        return read_token(self.links_key, token)


def link_url(settings: PersonSettings, kind: str, link: Link) -> str:
    """`u`: one-click unsubscribe; `p`: the preference centre."""
    return f"{settings.public_url}/{kind}/{link.token}"


async def _side(request: Request) -> PersonSide:
    found: PersonSide = request.app.state.licite_person
    return found


Side = Annotated[PersonSide, Depends(_side)]


def lang_of(request: Request) -> Lang:
    """French, the language of the law and of the sender's customers, unless the page is
    asked in English (`?lang=en`): not the browser's own preference, so that the person
    sees the wording the sender wrote."""
    return "en" if request.query_params.get("lang") == "en" else "fr"


def proof_of(request: Request, link: Link, page: str, wording: str | None) -> dict[str, Any]:
    """The proof of a person's change (`ledger.proof.Proof`): the IP is truncated there."""
    proof: dict[str, Any] = {
        "form": f"{page} · lien {link.digest}"
        + (f" · campagne {link.campaign}" if link.campaign else ""),
        "recorded_by": f"licite serve {page}",
    }
    host = request.client.host if request.client else None
    if host is not None:
        try:
            ipaddress.ip_address(host)
            proof["ip"] = host
        except ValueError:
            pass
    agent = request.headers.get("user-agent")
    if agent:
        proof["user_agent"] = agent[:2000]
    if wording:
        proof["wording_text"] = wording
    return proof


def known(side: PersonSide, link: Link) -> bool:
    """Whether the link's person is in the ledger and not erased (an erased person's
    objection is already recorded: the erasure appended it). Nothing is decrypted."""
    rows = side.context.ledger().store.read(
        "SELECT erased_at_us FROM persons WHERE id = ?", (link.person,)
    )
    return bool(rows) and rows[0][0] is None


def record(
    side: PersonSide, link: Link, events: list[dict[str, Any]], proof: dict[str, Any]
) -> None:
    """Append the person's events, all with this proof, at this moment, whole or not at all
    (in one commit with other people's at the same moment: `grouped`)."""
    at = datetime.now(PARIS).isoformat()
    lines = [{"person": link.person, "at": at, **event, "proof": proof} for event in events]
    side.grouped.append(side.context.ledger, lines)


__all__ = [
    "Link",
    "LinkRefused",
    "PersonSide",
    "Side",
    "known",
    "lang_of",
    "link_url",
    "proof_of",
    "record",
]
