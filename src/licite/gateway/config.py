"""The gateway's settings: `--listen`, `--upstream` and the environment, read once.

- `LICITE_GATEWAY_STARTTLS` (`auto`): `auto` upgrades to TLS when the upstream offers it,
  `require` refuses to relay (451) to an upstream that does not, `off` never asks.
- `LICITE_GATEWAY_UPSTREAM_USER`, `LICITE_GATEWAY_UPSTREAM_PASSWORD`: AUTH towards the
  upstream, only over TLS (a password is never sent in clear, except to a loopback host).
- `LICITE_GATEWAY_UPSTREAM_CA` (none: the system's): a PEM file of the certificates the
  upstream's TLS certificate is checked against (a private relay's own CA).
- `LICITE_GATEWAY_MAX_RECIPIENTS` (100): recipients a transaction, then `452 4.5.3`
  (RFC 5321 §4.5.3.1.8: the client sends the rest in another transaction).
- `LICITE_GATEWAY_WORKERS` (4 on PostgreSQL, 2 on SQLite): messages handled at once,
  each on its own thread with its own ledger and upstream connections (while one waits
  for the store or the upstream, another decides). A worker on PostgreSQL waits for the
  server as well as for the upstream: four relay more messages of several recipients
  than two (docs/benchmarks.md, issue 19).
- `LICITE_GATEWAY_TIMEOUT` (30): seconds the upstream has to answer.
- The person's side (`licite.service.person_config`): `LICITE_PUBLIC_URL`, where the
  unsubscribe links point, `LICITE_UNSUBSCRIBE_MAILTO`, `LICITE_LINK_DAYS`.

A bad value is an error that names the option or the variable and the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from licite.errors import InvalidInput
from licite.i18n import Text
from licite.ledger.config import POSTGRES_SCHEMES, database_url
from licite.service.person_config import PersonSettings

STARTTLS = ("auto", "require", "off")


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    upstream_host: str
    upstream_port: int
    starttls: str = "auto"
    user: str | None = None
    password: str | None = None
    ca_file: str | None = None
    max_recipients: int = 100
    workers: int = 2
    """Its default depends on the store (`default_workers`)."""
    timeout: float = 30.0
    person: PersonSettings = field(default_factory=PersonSettings)

    @classmethod
    def from_environ(
        cls, upstream: str, environ: Mapping[str, str] | None = None
    ) -> GatewaySettings:
        env = os.environ if environ is None else environ
        host, port = host_port("--upstream", upstream)
        starttls = env.get("LICITE_GATEWAY_STARTTLS", "").strip().lower() or "auto"
        if starttls not in STARTTLS:
            raise _bad("LICITE_GATEWAY_STARTTLS", starttls, "auto, require, off")
        user = env.get("LICITE_GATEWAY_UPSTREAM_USER", "").strip() or None
        password = env.get("LICITE_GATEWAY_UPSTREAM_PASSWORD", "") or None
        if (user is None) != (password is None):
            raise _bad(
                "LICITE_GATEWAY_UPSTREAM_PASSWORD",
                "…" if password else "",
                "avec …_USER / with …_USER",
            )
        ca_file = env.get("LICITE_GATEWAY_UPSTREAM_CA", "").strip() or None
        if ca_file is not None and not os.path.isfile(ca_file):
            raise _bad("LICITE_GATEWAY_UPSTREAM_CA", ca_file, "un fichier PEM / a PEM file")
        most = env.get("LICITE_GATEWAY_MAX_RECIPIENTS", "").strip() or "100"
        if not most.isdigit() or not 1 <= int(most) <= 10_000:
            raise _bad("LICITE_GATEWAY_MAX_RECIPIENTS", most, "1…10000")
        workers = env.get("LICITE_GATEWAY_WORKERS", "").strip() or str(default_workers(env))
        if not workers.isdigit() or not 1 <= int(workers) <= 32:
            raise _bad("LICITE_GATEWAY_WORKERS", workers, "1…32")
        timeout = env.get("LICITE_GATEWAY_TIMEOUT", "").strip() or "30"
        if not timeout.isdigit() or not 1 <= int(timeout) <= 600:
            raise _bad("LICITE_GATEWAY_TIMEOUT", timeout, "1…600")
        return cls(
            host,
            port,
            starttls,
            user,
            password,
            ca_file,
            int(most),
            int(workers),
            float(timeout),
            PersonSettings.from_environ(env),
        )


def default_workers(environ: Mapping[str, str]) -> int:
    """4 when the ledger is on PostgreSQL (`LICITE_DATABASE_URL`), else 2."""
    url = database_url(environ)
    return 4 if url.startswith(POSTGRES_SCHEMES) else 2


def host_port(option: str, text: str) -> tuple[str, int]:
    """`H:P` (an IPv6 host in brackets: `[::1]:25`)."""
    host, colon, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InvalidInput(
            Text(
                f"{option} : attendu HÔTE:PORT (valeur reçue : {text!r})",
                f"{option}: expected HOST:PORT (got {text!r})",
            )
        )
    return host, int(port)


def _bad(name: str, value: str, expected: str) -> InvalidInput:
    return InvalidInput(
        Text(
            f"la variable {name} vaut {value!r} : attendu {expected}",
            f"variable {name} has value {value!r}: expected {expected}",
        )
    )
