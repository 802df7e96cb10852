"""Structured logs (one JSON object a line) that never hold an email address or a phone.

What the service logs is chosen to carry no personal data: the route's template
(`/v1/people/{person_id}/decide`, never the path, whose id may be an address),
the status, the duration, the API key's id, the problem's type. Every record
also passes through `redact` before it is written, so an address that reached a
message by mistake (an exception's text, a library's warning) is masked, not kept:
logs are kept longer and read by more people than the ledger (CNIL, minimisation).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any, TextIO

LOGGER = "licite.service"

_EMAIL = re.compile(r"[^\s\"'<>(),;:@]+@[^\s\"'<>(),;:@]+\.[^\s\"'<>(),;:@]+")
_PHONE = re.compile(r"(?<![\w.])\+?\d(?:[\s.\-/]?\(?\d\)?){7,14}(?![\w.])")
"""A run of 8 to 15 digits, possibly spaced, dotted or dashed: every French or E.164
form licite reads as a phone number (`phones.py`), and more."""


def redact(text: str) -> str:
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            fields["error"] = record.exc_info[0].__name__
        return redact(json.dumps(fields, ensure_ascii=False, default=str))


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    """Every record, the service's and uvicorn's, as redacted JSON lines on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    for name in (LOGGER, "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    # uvicorn's access log writes the raw path and query: the service logs requests itself.
    logging.getLogger("uvicorn.access").disabled = True


def log(level: int, message: str, **fields: Any) -> None:
    logging.getLogger(LOGGER).log(level, message, extra={"fields": fields})
