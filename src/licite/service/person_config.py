"""The settings of the person's side (issue 18), read once from the environment.

- `LICITE_PUBLIC_URL` (`http://127.0.0.1:8000`): where people reach the service; the links
  of a newsletter footer and of `List-Unsubscribe` start with it.
- `LICITE_LINK_DAYS` (90): how long a person's link stays valid.
- `LICITE_UNSUBSCRIBE_MAILTO` (none): the address of the `mailto:` in `List-Unsubscribe`.
- `LICITE_SMS_SECRET` (none): the secret the SMS gateway signs its calls with; without it
  the STOP webhook refuses every call.
- `LICITE_SMS_SENDER` (`all`): the sender whose SMS a STOP objects to.
- `LICITE_LINKS_KEY`: the key that signs links (64 hex digits), else `links.key` in the
  ledger's key directory (`licite.ledger.config.named_key`).

A bad value is an error that names the variable and the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from licite.errors import InvalidInput
from licite.i18n import Text


@dataclass(frozen=True, slots=True)
class PersonSettings:
    public_url: str = "http://127.0.0.1:8000"
    link_days: int = 90
    mailto: str | None = None
    sms_secret: bytes | None = None
    sms_sender: str = "all"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> PersonSettings:
        env = os.environ if environ is None else environ
        url = env.get("LICITE_PUBLIC_URL", "").strip() or "http://127.0.0.1:8000"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _bad("LICITE_PUBLIC_URL", url, "https://hôte[:port]")
        days_text = env.get("LICITE_LINK_DAYS", "").strip() or "90"
        if not days_text.isdigit() or not 1 <= int(days_text) <= 3660:
            raise _bad("LICITE_LINK_DAYS", days_text, "1…3660")
        mailto = env.get("LICITE_UNSUBSCRIBE_MAILTO", "").strip() or None
        if mailto is not None and (mailto.count("@") != 1 or any(c in mailto for c in "<>, ?")):
            raise _bad("LICITE_UNSUBSCRIBE_MAILTO", mailto, "adresse@domaine")
        secret = env.get("LICITE_SMS_SECRET", "").strip()
        sender = env.get("LICITE_SMS_SENDER", "").strip() or "all"
        if len(sender) > 200 or not sender.isprintable():
            raise _bad("LICITE_SMS_SENDER", sender[:60], "un identifiant d'émetteur (≤ 200)")
        return cls(
            public_url=url.rstrip("/"),
            link_days=int(days_text),
            mailto=mailto,
            sms_secret=secret.encode() if secret else None,
            sms_sender=sender,
        )


def _bad(name: str, value: str, expected: str) -> InvalidInput:
    return InvalidInput(
        Text(
            f"la variable {name} vaut {value!r} : attendu {expected}",
            f"variable {name} has value {value!r}: expected {expected}",
        )
    )
