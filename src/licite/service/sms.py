"""STOP by SMS: the inbound-message webhook of an SMS gateway (CPCE L34-5, GDPR art. 21).

A text reply STOP (or stop, arrêt, arret, désabonner, unsubscribe: case, accents and
surrounding spaces or punctuation aside) is an objection to the sender's SMS. The gateway
signs each call with the shared secret (`LICITE_SMS_SECRET`): header
`X-Licite-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant time;
an unsigned or wrongly signed call is refused (401) and changes nothing.

The body is the gateway's own shape: JSON or a form, with the number in `from`, `From`
(Twilio) or `msisdn` (Vonage), the text in `text` or `Body`, the message id in
`message_id`, `MessageSid` or `messageId`. The number is kept only as its keyed hash (the
ledger's HMAC key, as Bloctel numbers and erased addresses are): every person recorded with
it gets an `objection` event (channel sms, via stop_sms); and the hash is kept in
`sms_inbound` whoever it belongs to, so a number the ledger does not know is still
suppressed. One row a message id, written in the same transaction as the objections: a
redelivered message is answered again without a second write.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from licite.errors import ProblemError
from licite.i18n import Text
from licite.ledger.crypto import keyed_hash
from licite.moments import PARIS
from licite.phones import normalize_phone
from licite.service.context import as_json
from licite.service.person import PersonSide, Side
from licite.service.problems import responses
from licite.service.stops import Message

router = APIRouter(tags=["person"])

SIGNATURE = "x-licite-signature"
STOP_WORDS = frozenset({"stop", "arret", "desabonner", "unsubscribe"})
_FIELDS = {
    "from": ("from", "From", "msisdn"),
    "text": ("text", "Body"),
    "message_id": ("message_id", "MessageSid", "messageId"),
}


def is_stop(text: str) -> bool:
    """STOP and its usual variants, whatever the case, accents, spaces and punctuation."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return plain.strip(" \t\r\n.!,;:-_'\"«»()").strip() in STOP_WORDS


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@router.post(
    "/v1/sms/inbound",
    summary="STOP by SMS: an SMS gateway's inbound message, signed with the shared secret",
    responses=responses("unauthorized", "invalid-input"),
)
async def inbound(request: Request, side: Side) -> Response:
    body = await request.body()
    _check_signature(side, body, request.headers.get(SIGNATURE, ""))
    fields = _fields(body, request.headers.get("content-type", ""))
    # In a thread: the commit waits for the one under way (`grouped`), not the event loop.
    return as_json(await run_in_threadpool(receive, side, fields))


def _check_signature(side: PersonSide, body: bytes, given: str) -> None:
    secret = side.settings.sms_secret
    if secret is None or not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
        raise ProblemError(
            "unauthorized",
            Text(
                f"{SIGNATURE} : signature absente ou fausse (HMAC-SHA256 du corps avec le secret"
                " LICITE_SMS_SECRET, « sha256=… »)",
                f"{SIGNATURE}: missing or wrong signature (HMAC-SHA256 of the body with the"
                " LICITE_SMS_SECRET secret, 'sha256=…')",
            ),
        )


def _fields(body: bytes, content_type: str) -> dict[str, str]:
    data: Any
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            data = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
        else:
            data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise _invalid("body", "JSON ou formulaire attendu", "JSON or a form expected")
    found: dict[str, str] = {}
    for name, aliases in _FIELDS.items():
        value = next((data[a] for a in aliases if a in data), None)
        if not isinstance(value, str) or not value.strip() or len(value) > 1600:
            shown = "absent" if value is None else repr(value)[:60]
            raise _invalid(name, f"texte attendu (reçu : {shown})", f"text expected (got {shown})")
        found[name] = value
    return found


def receive(side: PersonSide, fields: dict[str, str]) -> dict[str, Any]:
    """Record one inbound message (once per message id); what was done with it. Blocks
    until committed, with the messages that arrived meanwhile (`side.messages`)."""
    ledger = side.context.ledger()
    phone = normalize_phone(fields["from"])
    if phone is None:
        shown = fields["from"] if len(fields["from"]) <= 40 else fields["from"][:37] + "…"
        raise _invalid(
            "from", f"numéro illisible (reçu : {shown!r})", f"not a phone number (got {shown!r})"
        )
    message = Message(
        fields["message_id"],
        keyed_hash(ledger.keys.hmac, phone),
        is_stop(fields["text"]),
        side.settings.sms_sender,
        datetime.now(PARIS),
    )
    return side.messages.submit(side.context.ledger, message)


def _invalid(field: str, fr: str, en: str) -> ProblemError:
    return ProblemError("invalid-input", Text(f"{field} : {fr}", f"{field}: {en}"))
