"""Where the ledger lives and which keys it uses, read once from the environment.

- `LICITE_DATABASE_URL`: `sqlite:///path.db` (default `sqlite:///licite.db` in
  the working directory), `sqlite://:memory:` (a throwaway store), or
  `postgresql://…` (SPEC §4).
- `LICITE_HMAC_KEY`, `LICITE_MASTER_KEY`, `LICITE_SIGNING_KEY`: 32 bytes as hex.
  When one is not set it is read from, or on first use created in, the key
  directory with mode 0600: `LICITE_KEY_DIR` if set, else `<database>.keys/`
  beside a SQLite file, else `$XDG_CONFIG_HOME/licite/keys` (~/.config/…).
- `LICITE_SIGNING_KEY_FILE`: the signing key's file, read or created there instead
  of the key directory. Whoever can write both the database and the signing key can
  rewrite history and sign it again (docs/security.md): this puts the key where the
  database's writers cannot reach, on its own (`verify` warns when it lies beside a
  SQLite database).

A command that only reads (`verify`, `history`, …) opens with `create=False`:
nothing missing is created, neither the database nor a key.
- Person keys are wrapped by the current key epoch's key, a file of the key
  directory that `licite ledger rotate-keys` replaces (`licite.ledger.epochs`).
  The master key is epoch 0 of ledgers made before schema v6: it is read when
  configured, and created only for a store kept at an older schema (tests).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from licite.errors import DiskFull, KeyProblem, StoreUnavailable, is_disk_full
from licite.i18n import Text

DEFAULT_URL = "sqlite:///licite.db"
MEMORY_URL = "sqlite://:memory:"
KEY_NAMES = ("hmac", "master", "signing")
_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class Keys:
    hmac: bytes
    """Lookup and suppression hashes of emails and phone numbers."""
    master: bytes | None
    """Epoch 0's key (ledgers made before schema v6); None when not configured."""
    signing: bytes
    """Ed25519 seed that signs the chain head and checkpoints."""
    epoch: int = 0
    """The key epoch new person keys are wrapped under (`licite.ledger.epochs`)."""
    epoch_key: bytes | None = None
    """That epoch's key, set when the ledger is opened (the master key for epoch 0)."""
    signing_file: Path | None = None
    """The file the signing key was read from (None when given by LICITE_SIGNING_KEY)."""

    @property
    def wrapping(self) -> bytes:
        """The key that wraps new person keys."""
        key = self.epoch_key if self.epoch_key is not None else self.master
        if key is None:
            raise KeyProblem(
                Text(
                    "aucune clé d'époque pour chiffrer les clés des personnes",
                    "no epoch key to wrap the persons' keys with",
                )
            )
        return key


@dataclass(frozen=True, slots=True)
class Location:
    """A parsed LICITE_DATABASE_URL."""

    url: str
    dialect: str  # "sqlite" | "postgresql"
    path: str  # SQLite file, ":memory:", or the PostgreSQL conninfo

    @property
    def in_memory(self) -> bool:
        return self.dialect == "sqlite" and self.path == ":memory:"

    @property
    def shown(self) -> str:
        """The URL without its password, for messages."""
        parts = urlsplit(self.url)
        if self.dialect != "postgresql" or parts.password is None:
            return self.url
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def database_url(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("LICITE_DATABASE_URL") or DEFAULT_URL


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def parse_url(url: str) -> Location:
    if url.startswith(POSTGRES_SCHEMES):
        return Location(url, "postgresql", url)
    if url == MEMORY_URL or url == "sqlite:///:memory:":
        return Location(url, "sqlite", ":memory:")
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Location(url, "sqlite", url[len("sqlite:///") :])
    raise StoreUnavailable(
        Text(
            f"LICITE_DATABASE_URL a la valeur {url!r} : attendu sqlite:///chemin.db"
            " ou postgresql://…",
            f"LICITE_DATABASE_URL has value {url!r}: expected sqlite:///path.db or postgresql://…",
        )
    )


def key_directory(location: Location, environ: Mapping[str, str] | None = None) -> Path | None:
    """Where missing keys are kept; None for a throwaway in-memory store."""
    env = os.environ if environ is None else environ
    if env.get("LICITE_KEY_DIR"):
        return Path(env["LICITE_KEY_DIR"])
    if location.in_memory:
        return None
    if location.dialect == "sqlite":
        return Path(location.path + ".keys")
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "licite" / "keys"


def load_keys(
    location: Location,
    environ: Mapping[str, str] | None = None,
    *,
    create: bool = True,
    create_master: bool = False,
) -> Keys:
    """The keys, from the environment or their files. `create=False` creates no file (a
    missing HMAC or signing key is an error); the master key, epoch 0 of ledgers made before
    key epochs, is read when configured and created only with `create_master`."""
    env = os.environ if environ is None else environ
    directory = key_directory(location, env)
    files = {name: _key_path(name, env, directory) for name in KEY_NAMES}
    hmac, signing = (_key(name, env, files[name], create) for name in ("hmac", "signing"))
    master = _optional_key("master", env, files["master"], create and create_master)
    return Keys(hmac, master, signing, signing_file=files["signing"])


def named_key(
    name: str, location: Location, environ: Mapping[str, str] | None = None, *, create: bool = True
) -> bytes:
    """A key of its own beside the ledger's (`links`: the persons' signed links), read the
    same way: LICITE_<NAME>_KEY as hex, else `<name>.key` in the key directory."""
    env = os.environ if environ is None else environ
    return _key(name, env, _key_path(name, env, key_directory(location, env)), create)


def _key_path(name: str, env: Mapping[str, str], directory: Path | None) -> Path | None:
    """The file a key is read from; None when it is given in the environment, or when a
    throwaway in-memory store gets a fresh one."""
    if env.get(f"LICITE_{name.upper()}_KEY"):
        return None
    if name == "signing" and env.get("LICITE_SIGNING_KEY_FILE", "").strip():
        return Path(env["LICITE_SIGNING_KEY_FILE"].strip())
    return None if directory is None else directory / f"{name}.key"


def _key(name: str, env: Mapping[str, str], path: Path | None, create: bool) -> bytes:
    variable = f"LICITE_{name.upper()}_KEY"
    if env.get(variable):
        return _from_hex(variable, env[variable])
    if path is None:
        return os.urandom(_KEY_BYTES)
    if not create and not path.exists():
        raise KeyProblem(
            Text(
                f"{variable} n'est pas défini et {path} n'existe pas : pas de clé {name}",
                f"{variable} is not set and {path} does not exist: no {name} key",
            )
        )
    return _key_file(path)


def _optional_key(
    name: str, env: Mapping[str, str], path: Path | None, create: bool
) -> bytes | None:
    """A key that may be absent: None when neither configured nor created."""
    variable = f"LICITE_{name.upper()}_KEY"
    if env.get(variable):
        return _from_hex(variable, env[variable])
    if path is None:
        return os.urandom(_KEY_BYTES) if create else None
    if not create and not path.exists():
        return None
    return _key_file(path)


def _from_hex(where: str, value: str) -> bytes:
    try:
        key = bytes.fromhex(value.strip())
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        shown = value if len(value) <= 12 else value[:6] + "…"
        raise KeyProblem(
            Text(
                f"{where} a la valeur {shown!r} : 64 chiffres hexadécimaux (32 octets) attendus",
                f"{where} has value {shown!r}: expected 64 hex digits (32 bytes)",
            )
        )
    return key


def _key_file(path: Path) -> bytes:
    """Read a key file, or create it readable by its owner only (mode 0600).

    A new key is written whole and made durable in a draft file, then linked under
    its name, which fails if another process got there first (its key is then read).
    So the key file never exists empty or cut short: a run killed, or out of space,
    half-way used to leave one that refused every later run ("expected 64 hex digits")."""
    if path.exists():
        return _read_key_file(path)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _create_key_file(path)
    except FileExistsError:
        return _read_key_file(path)
    except OSError as error:
        if is_disk_full(error):
            raise DiskFull.at(path) from None
        raise KeyProblem(
            Text(
                f"{path} : création de la clé impossible ({error.strerror})",
                f"{path}: cannot create the key ({error.strerror})",
            )
        ) from None


def _create_key_file(path: Path) -> bytes:
    key = os.urandom(_KEY_BYTES)
    write_key_file(path, key)
    return key


def write_key_file(path: Path, key: bytes) -> None:
    """Write `key` under `path` (mode 0600), whole and durable before the name exists;
    `FileExistsError` when the name is taken."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.draft")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the name itself survives a power cut
    finally:
        os.close(directory)


def _read_key_file(path: Path) -> bytes:
    # A key file written by an older licite may exist an instant before its key does.
    for _ in range(100):
        try:
            text = path.read_text()
        except OSError as error:
            raise KeyProblem(
                Text(
                    f"{path} : lecture de la clé impossible ({error.strerror})",
                    f"{path}: cannot read the key ({error.strerror})",
                )
            ) from None
        if text.strip():
            return _from_hex(str(path), text)
        time.sleep(0.01)
    return _from_hex(str(path), "")
