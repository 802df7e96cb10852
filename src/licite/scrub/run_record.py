"""What a scrub ran on, for whoever files its results: the input, the campaign, the versions.

A DPO who files a report a year later must be able to say which list it judged
(name, size and SHA-256 of the file as read), which campaign, which licite and
which version of the specification, and when. The hash is read in 1 MiB blocks,
so a list of ten million rows costs a couple of seconds, not memory.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from licite.moments import PARIS

SPEC_VERSION = "2"
"""The version of SPEC.md these rules implement (version 2, 2026-12-02)."""


def licite_version() -> str:
    try:
        return version("licite")
    except PackageNotFoundError:
        return "unknown"


def file_record(path: Path) -> dict[str, Any]:
    """Name, size and SHA-256 of the file as it is now."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return {"name": path.name, "path": str(path), "bytes": size, "sha256": digest.hexdigest()}


def run_record(source: dict[str, Any] | Path, campaign_file: Path | None = None) -> dict[str, Any]:
    """The summary's provenance keys: `source` is the file, or its record already made
    (the list's inspection hashes it in the pass it makes anyway)."""
    return {
        "input": source if isinstance(source, dict) else file_record(source),
        "campaign_file": str(campaign_file) if campaign_file else None,
        "licite_version": licite_version(),
        "spec_version": SPEC_VERSION,
        "ran_at": datetime.now(PARIS).isoformat(timespec="seconds"),
    }
