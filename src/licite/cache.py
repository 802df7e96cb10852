"""A small file cache of what a cold start would otherwise recompute (issue 14).

A `licite decide` in a new process parses the law files and, for a phone call,
builds the holiday calendars — the second alone costs the `holidays` package's
import (0.1 s). Both depend only on their sources, so their result is kept as
JSON in `$LICITE_CACHE_DIR`, else `$XDG_CACHE_HOME/licite`, else ~/.cache/licite;
`LICITE_NO_CACHE=1` turns it off. Entries live in a folder named by their
layout (`format-1`), so two versions of licite side by side keep theirs. The
key of each entry is derived from its sources (the law files' SHA-256, the
`holidays` package's version): a changed source is a new entry, never a stale
one.

A cache is a convenience, never a source of truth, so reading one is defensive:
an entry is used only if it is a regular file (not a symlink) owned by the user
and writable by no one else, its first line is the SHA-256 of its name and of
the rest (a truncated or corrupt file, or one renamed to another key, is
ignored), and the rest is JSON (never pickle: a hostile file cannot run code).
The caller then checks the value as it checks its source (the law files' checks
run on cached documents too). Anything else — a missing, unreadable, foreign or
corrupt entry — means computing again.
Writing is atomic (a temporary file renamed) and never fails a decision: a
read-only or full disk only means no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from contextlib import suppress
from pathlib import Path
from typing import Any

FORMAT = 1
"""The entries' layout: a change of it (of the checksum, of what an entry holds) takes a
new number, so two versions of licite side by side never overwrite each other's."""
KEEP = 8
"""Entries kept of one family (one law file's, one year's calendars)."""
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")


def directory() -> Path | None:
    """Where entries live, or None when the cache is turned off."""
    if os.environ.get("LICITE_NO_CACHE", "") not in ("", "0"):
        return None
    if os.environ.get("LICITE_CACHE_DIR"):
        return Path(os.environ["LICITE_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "licite"
    try:
        return Path.home() / ".cache" / "licite"
    except (RuntimeError, KeyError, OSError):  # a service account without a home: no cache
        return None


def digest(*parts: str) -> str:
    """A key for content: the SHA-256 of the parts, each length-prefixed."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        hashed.update(b"%d:" % len(data))
        hashed.update(data)
    return hashed.hexdigest()


def read(name: str) -> Any | None:
    """The value stored under `name`, or None (absent, turned off, foreign or corrupt)."""
    path = _path(name)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if not _trusted(status):
            return None
        with os.fdopen(fd, "rb") as file:
            fd = -1
            raw = file.read()
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    check, _, body = raw.partition(b"\n")
    if check.decode("ascii", "replace") != _checksum(name, body):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def write(name: str, value: Any, *, family: str | None = None) -> None:
    """Store `value` (JSON values only) under `name`; any failure only means no cache.
    `family`: the prefix of the entries this one may supersede (a law file's other
    versions); only the `KEEP` newest of them stay, so the folder does not grow with
    each edit while two installations side by side keep theirs."""
    path = _path(name)
    if path is None:
        return
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    data = _checksum(name, body).encode("ascii") + b"\n" + body
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        _remove(temporary)
        return
    if family:
        _prune(path.parent, family)


def _prune(folder: Path, family: str) -> None:
    def age(path: Path) -> float:
        try:
            return -path.stat().st_mtime
        except OSError:
            return 0.0

    for old in sorted(folder.glob(f"{family}*.json"), key=age)[KEEP:]:
        _remove(old)


def _remove(path: Path) -> None:
    with suppress(OSError):
        path.unlink(missing_ok=True)


def _checksum(name: str, body: bytes) -> str:
    """The SHA-256 of the entry's name and body: an entry renamed to another key (one
    law file's older version given its newer name) does not check out."""
    return hashlib.sha256(name.encode("ascii") + b"\n" + body).hexdigest()


def _path(name: str) -> Path | None:
    if not name or not set(name) <= _NAME_CHARS or name.startswith("."):
        raise ValueError(f"cache entry name {name!r}: lower-case letters, digits, - . _ only")
    found = directory()
    return None if found is None else found / f"format-{FORMAT}" / f"{name}.json"


def _trusted(status: os.stat_result) -> bool:
    """A regular file of this user, which no one else may write."""
    if not stat.S_ISREG(status.st_mode):
        return False
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    getuid = getattr(os, "getuid", None)
    return getuid is None or status.st_uid == getuid()
