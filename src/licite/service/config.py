"""The service's settings, read once from the environment (Starlette's `config.py` way).

- `LICITE_DATABASE_URL` and the key variables: the ledger (`licite.ledger.config`).
- `LICITE_SERVE_HOST` (127.0.0.1), `LICITE_SERVE_PORT` (8000), `LICITE_SERVE_WORKERS` (1):
  where `licite serve` listens, overridden by its options.
- `LICITE_SCRUB_DIR` (`./licite-scrub`): where scrub jobs keep their inputs and outputs; a
  job may name a server-side file only under `<dir>/inputs`.
- `LICITE_LANG` (fr): the language of problem details and decisions' messages.
- `LICITE_LOG_LEVEL` (info).
- `LICITE_BATCH_MAX` (10000): the most cases or people one batch request may carry.
- `LICITE_BODY_MAX` (67108864): the largest request body, in bytes (a scrub's list is
  uploaded in one; a larger one is named among the server's inputs).

A bad value is an error that names the variable and the value, before anything listens.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from licite.errors import InvalidInput
from licite.i18n import Lang, Text

LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = None
    """None: the ledger's own default (LICITE_DATABASE_URL, else sqlite:///licite.db)."""
    environ: Mapping[str, str] | None = None
    """The environment the ledger reads its URL and keys from (None: os.environ)."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    scrub_dir: Path = Path("licite-scrub")
    lang: Lang = "fr"
    log_level: str = "info"
    batch_max: int = 10_000
    body_max: int = 64 * 1024 * 1024

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        lang = env.get("LICITE_LANG", "fr").strip().lower()[:2]
        level = env.get("LICITE_LOG_LEVEL", "info").strip().lower()
        if level not in LOG_LEVELS:
            raise _bad("LICITE_LOG_LEVEL", level, " | ".join(LOG_LEVELS))
        return cls(
            database_url=env.get("LICITE_DATABASE_URL") or None,
            environ=None if environ is None else dict(environ),
            host=env.get("LICITE_SERVE_HOST", "127.0.0.1"),
            port=_integer(env, "LICITE_SERVE_PORT", 8000, 0, 65535),
            workers=_integer(env, "LICITE_SERVE_WORKERS", 1, 1, 64),
            scrub_dir=Path(env.get("LICITE_SCRUB_DIR", "licite-scrub")),
            lang="en" if lang == "en" else "fr",
            log_level=level,
            batch_max=_integer(env, "LICITE_BATCH_MAX", 10_000, 1, 1_000_000),
            body_max=_integer(env, "LICITE_BODY_MAX", 64 * 1024 * 1024, 1024, 2**40),
        )


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise _bad(name, text, f"{low}…{high}") from None
    if not low <= value <= high:
        raise _bad(name, text, f"{low}…{high}")
    return value


def _bad(name: str, value: str, expected: str) -> InvalidInput:
    return InvalidInput(
        Text(
            f"la variable {name} vaut {value!r} : attendu {expected}",
            f"variable {name} has value {value!r}: expected {expected}",
        )
    )
