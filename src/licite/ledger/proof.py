"""Proof of consent (GDPR art. 7(1): the controller must be able to show it).

An event line of the import may carry, beside SPEC §2's fields, a `proof`
object: the exact wording shown (stored once, in `wordings`, referenced by its
SHA-256), the form or page it was shown on, who recorded it, and optional
evidence. IP addresses are truncated before anything is stored (IPv4 to /24,
IPv6 to /48, CNIL guidance on minimisation); IP and user agent are sealed with
the person's key, so an erasure makes them unreadable too.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from licite.case import explain
from licite.errors import InvalidInput
from licite.i18n import Text

PROOF_TYPES = frozenset({"consent", "withdrawal", "objection"})


def truncate_ip(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise PydanticCustomError(
            "licite",
            "not an IP address",
            {"fr": "adresse IP illisible", "en": "not an IP address"},
        ) from None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


class Proof(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    wording_text: Annotated[str, Field(min_length=1, max_length=100_000)] | None = None
    form: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    ip: Annotated[str, BeforeValidator(truncate_ip)] | None = None
    user_agent: Annotated[str, Field(max_length=2000)] | None = None
    recorded_by: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @property
    def wording_sha256(self) -> str | None:
        if self.wording_text is None:
            return None
        return hashlib.sha256(self.wording_text.encode()).hexdigest()

    def evidence(self) -> dict[str, str] | None:
        found = {k: v for k, v in (("ip", self.ip), ("user_agent", self.user_agent)) if v}
        return found or None


def load_proof(data: object, event_type: str) -> Proof:
    if event_type not in PROOF_TYPES:
        kinds = ", ".join(sorted(PROOF_TYPES))
        raise InvalidInput(
            Text(
                f"proof : seulement sur les événements {kinds} (reçu {event_type!r})",
                f"proof: only on {kinds} events (got {event_type!r})",
            )
        )
    if not isinstance(data, dict):
        raise InvalidInput(
            Text("proof : un objet (clé: valeur) est attendu", "proof: expected a mapping")
        )
    try:
        return Proof.model_validate(data)
    except ValidationError as error:
        text = explain(error)
        raise InvalidInput(Text(_under_proof(text.fr), _under_proof(text.en))) from None


def _under_proof(lines: str) -> str:
    return "\n".join(f"proof.{line}" for line in lines.splitlines())
