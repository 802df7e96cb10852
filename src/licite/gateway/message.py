"""What the gateway reads in a message, and the copy it relays to each recipient.

The header block is read from the bytes as received, not through a parser that would
rewrite it: the campaign header must be exactly one field whose value is an identifier
(a folded or encoded value is refused, never interpreted), and each copy differs from
the message received only by its header fields (RFC 5322 §2.2, §3.6).

CPCE art. L34-5 al. 5–6 (SPEC 1.2): the sender identified (a `From` with an address), a
subject, and in the text a way to object. Those three facts go to the engine as the
request's `message`; the engine, not this module, says which MSG-* code follows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses

from licite.case import Message as MessageFacts

CAMPAIGN_HEADER = "X-Licite-Campaign"
DROPPED = frozenset({CAMPAIGN_HEADER.lower(), "list-unsubscribe", "list-unsubscribe-post", "bcc"})
"""Fields never passed on: the gateway's own, the unsubscribe fields it alone writes, and
`Bcc`, which would show every copy's reader the blind recipients (RFC 5322 §3.6.3)."""

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")
_FIELD_NAME = re.compile(rb"[!-9;-~]+")
# A way to object (L34-5 al. 6) as messages say it, accents and case aside.
_OPT_OUT_WORDS = (
    "desabonn",
    "desinscri",
    "desinscription",
    "unsubscribe",
    "opt-out",
    "opt out",
    "ne plus recevoir",
    "vous opposer",
)


class BadMessage(ValueError):
    """The message cannot be read as RFC 5322 header fields and a body."""


@dataclass(frozen=True, slots=True)
class Received:
    """A message as received: its header fields as raw lines, and its body bytes."""

    fields: tuple[tuple[str, bytes], ...]
    """(lower-case name, the whole field with its folded lines and final CRLF)."""
    body: bytes
    content: bytes

    def values(self, name: str) -> list[bytes]:
        """The unfolded raw values of every field called `name`."""
        found = []
        for field_name, raw in self.fields:
            if field_name == name.lower():
                value = raw.split(b":", 1)[1]
                found.append(re.sub(rb"\r\n(?=[ \t])", b"", value).strip(b" \t\r\n"))
        return found


def read(content: bytes) -> Received:
    end = content.find(b"\r\n\r\n")
    head, body = (content, b"") if end < 0 else (content[: end + 2], content[end + 2 :])
    if head and not head.endswith(b"\r\n"):
        head += b"\r\n"
    # A bare LF or CR would end a field for some readers and not for others: a campaign
    # header, a Bcc, hidden inside another field from this reader (RFC 5322 §2.2).
    if b"\n" in head.replace(b"\r\n", b"") or b"\r" in head.replace(b"\r\n", b""):
        raise BadMessage("bare LF or CR in the header fields")
    fields: list[tuple[str, bytes]] = []
    for line in head.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            name, raw = fields[-1]
            fields[-1] = (name, raw + line + b"\r\n")
            continue
        raw_name, colon, _ = line.partition(b":")
        if not colon or not _FIELD_NAME.fullmatch(raw_name):
            raise BadMessage(line[:40].decode("ascii", "replace"))
        fields.append((raw_name.decode("ascii").lower(), line + b"\r\n"))
    return Received(tuple(fields), body, content)


def campaign_id(message: Received) -> str | tuple[str, str] | None:
    """The campaign's id; None when the field is missing; (problem, shown value) else."""
    values = message.values(CAMPAIGN_HEADER)
    if not values:
        return None
    if len(values) > 1:
        return ("several", f"{len(values)} fields")
    text = values[0].decode("ascii", "replace")
    if not _IDENTIFIER.fullmatch(text):
        return ("malformed", ascii_only(text)[:60])
    return text


def facts(message: Received) -> MessageFacts:
    """The three facts of L34-5 al. 5–6 the engine checks (SPEC 1.2 `request.message`).

    The sender is identified when one `From` names an address and the text names the
    sender too — the `From`'s display name, its domain, or the domain's own name
    (`Shop <news@shop.example>`: "Shop", "shop.example" or "shop") — as the footer
    LCEN art. 19 asks for does; a way to object is a sentence saying how to unsubscribe."""
    # compat32: the header values as they are, read a fifth as fast as the typed headers.
    parsed = message_from_bytes(message.content, policy=policy.compat32)
    values = [_header_text(v) for v in parsed.get_all("from", [])]
    senders = [(n, a) for n, a in getaddresses(values) if a]
    subject = str(parsed.get("subject", "") or "").strip()
    text = plain(" ".join(_texts(parsed)))
    named = len(senders) == 1 and "@" in senders[0][1]
    return MessageFacts(
        identifies_sender=named and any(n in text for n in _identities(*senders[0])),
        opt_out=any(word in text for word in _OPT_OUT_WORDS),
        subject_related=bool(subject),
    )


def _header_text(value: object) -> str:
    """A header value as text: raw 8-bit bytes (compat32's `unknown-8bit`) read as UTF-8,
    RFC 2047 encoded words (`=?utf-8?q?V=C3=A9los?=`) decoded."""
    parts = decode_header(value if isinstance(value, Header) else str(value))
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        try:
            out.append(
                chunk.decode(
                    charset if charset not in (None, "unknown-8bit") else "utf-8", "replace"
                )
            )
        except LookupError:  # a charset Python does not know
            out.append(chunk.decode("utf-8", "replace"))
    return "".join(out)


def _identities(name: str, address: str) -> list[str]:
    domain = address.rpartition("@")[2].strip().lower()
    labels = [label for label in domain.split(".") if label]
    found = [plain(name.strip()), domain, labels[-2] if len(labels) >= 2 else ""]
    return [f for f in found if len(f) >= 2]


def _texts(parsed: Message) -> list[str]:
    """Every text part, decoded (base64, quoted-printable; an unknown charset as UTF-8)."""
    found = []
    for part in parsed.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        try:
            found.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
        except LookupError:  # a charset Python does not know
            found.append(payload.decode("utf-8", "replace"))
    return found


def copy_for(message: Received, added: list[tuple[str, str]]) -> bytes:
    """The message for one recipient: `added` fields first, DROPPED fields removed."""
    head = b"".join(_field(name, value) for name, value in added)
    kept = b"".join(raw for name, raw in message.fields if name not in DROPPED)
    return head + kept + message.body


def _field(name: str, value: str) -> bytes:
    """One header field, folded after each comma so no line passes 998 octets."""
    parts = value.split(", ")
    return (f"{name}: " + ",\r\n ".join(parts) + "\r\n").encode("ascii")


def plain(text: str) -> str:
    """Lower case, accents removed (désabonner → desabonner)."""
    if text.isascii():  # nothing to decompose: most messages, read a character at a time else
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def ascii_only(text: str) -> str:
    """What an SMTP reply can carry: printable ASCII, accents dropped."""
    return _NOT_PRINTABLE.sub("?", plain_keep_case(text))


_NOT_PRINTABLE = re.compile(r"[^ -~]")


def plain_keep_case(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
