"""A person's signed, expiring link: what a newsletter footer or `List-Unsubscribe` carries.

A link names one person (by the ledger's opaque id, never an address), one sender, an
optional campaign and the moment it expires, and is signed with HMAC-SHA256 under the
links key (`LICITE_LINKS_KEY`, else `links.key` in the key directory). The signature covers
the exact text of the payload as it stands in the link, so a link changed by one character
— in the payload or in the signature — is refused, as is one made for another person or
past its expiry. The signature is compared in constant time (`hmac.compare_digest`).

Token: `v1.<payload, base64url, no padding>.<signature, 32 hex digits (128 bits)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from licite.ledger.config import Location, named_key

_DOMAIN = b"licite/v1/person-link\0"
_VERSION = "v1"
_MAC_HEX = 32
MAX_TOKEN = 1024
"""Longer than any link licite makes: refused before anything is decoded."""

Refusal = Literal["forged", "expired"]


@dataclass(frozen=True, slots=True)
class Link:
    person: str
    sender: str
    expires: datetime
    campaign: str | None
    token: str
    analysis: tuple[str, str] | None = None
    """A renewal link (CPCE L32-3, D. 98-5 I): the processing and purpose to renew."""

    @property
    def digest(self) -> str:
        """A short name for this link in proofs: not the link itself, which still works."""
        return hashlib.sha256(self.token.encode()).hexdigest()[:16]


class LinkRefused(Exception):
    """The link is not one licite signed, or is no longer valid."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason: Refusal = reason


def links_key(location: Location, environ: Mapping[str, str] | None = None) -> bytes:
    return named_key("links", location, environ)


def make_token(
    key: bytes,
    person: str,
    sender: str,
    expires: datetime,
    campaign: str | None = None,
    analysis: tuple[str, str] | None = None,
) -> str:
    fields: dict[str, object] = {"p": person, "s": sender, "x": int(expires.timestamp())}
    if campaign is not None:
        fields["c"] = campaign
    if analysis is not None:
        fields["a"] = list(analysis)
    raw = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{_VERSION}.{payload}.{_mac(key, payload)}"


def make_link(
    key: bytes,
    person: str,
    sender: str,
    *,
    days: int,
    campaign: str | None = None,
    now: datetime | None = None,
    analysis: tuple[str, str] | None = None,
) -> Link:
    start = now or datetime.now(UTC)
    expires = (start + timedelta(days=days)).replace(microsecond=0)
    token = make_token(key, person, sender, expires, campaign, analysis)
    return Link(person, sender, expires, campaign, token, analysis)


def read_token(key: bytes, token: str, now: datetime | None = None) -> Link:
    """The link `token` stands for; `LinkRefused` when it is forged, altered or expired."""
    if len(token) > MAX_TOKEN or not token.isascii():
        raise LinkRefused("forged")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _VERSION:
        raise LinkRefused("forged")
    _, payload, mac = parts
    if not hmac.compare_digest(mac.encode(), _mac(key, payload).encode()):
        raise LinkRefused("forged")
    person, sender, expires_at, campaign, analysis = _fields(payload)
    try:
        expires = datetime.fromtimestamp(expires_at, UTC)
    except (OverflowError, OSError, ValueError):
        raise LinkRefused("forged") from None
    if (now or datetime.now(UTC)) >= expires:
        raise LinkRefused("expired")
    return Link(person, sender, expires, campaign, token, analysis)


def _mac(key: bytes, payload: str) -> str:
    return hmac.new(key, _DOMAIN + payload.encode(), hashlib.sha256).hexdigest()[:_MAC_HEX]


def _fields(payload: str) -> tuple[str, str, int, str | None, tuple[str, str] | None]:
    """Only reached with a valid signature: what licite wrote, read back defensively."""
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        raise LinkRefused("forged") from None
    if not (
        isinstance(data, dict)
        and isinstance(data.get("p"), str)
        and isinstance(data.get("s"), str)
        and isinstance(data.get("x"), int)
        and isinstance(data.get("c", ""), str)
    ):
        raise LinkRefused("forged")
    analysis = data.get("a")
    if analysis is not None:
        if not (
            isinstance(analysis, list)
            and len(analysis) == 2
            and all(isinstance(a, str) for a in analysis)
        ):
            raise LinkRefused("forged")
        return data["p"], data["s"], data["x"], data.get("c"), (analysis[0], analysis[1])
    return data["p"], data["s"], data["x"], data.get("c"), None
