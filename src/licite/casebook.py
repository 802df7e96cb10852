"""Running case files against their `expect` block (`licite casebook DIR`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from licite.case import load_case
from licite.documents import parse_text, read_document
from licite.engine import decide
from licite.errors import InvalidInput, LiciteError

CASE_SUFFIXES = (".yaml", ".yml", ".json")
_EXPECT_KEYS = {"allowed", "basis", "reasons", "warnings", "obligations", "error"}
_LISTED = ("reasons", "warnings", "obligations")
"""Lists whose every code must appear in the decision (SPEC §4)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    path: Path
    passed: bool
    detail: str


def case_files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in CASE_SUFFIXES and path.is_file():
            yield path


def run_case(path: Path) -> Outcome:
    try:
        document = read_document(path)
    except InvalidInput as error:
        expect = _expect_after_parse_failure(path)
        if expect is not None and expect.get("error") == error.exit_status:
            return Outcome(path, True, f"error {error.exit_status} as expected")
        return Outcome(path, False, f"unreadable: {error.text.en}")
    expect = document.get("expect") if isinstance(document, dict) else None
    problem = _check_expect(expect)
    if problem:
        return Outcome(path, False, problem)
    assert isinstance(expect, dict)
    try:
        decision = decide(load_case(document, name=path.name))
    except LiciteError as error:
        if expect.get("error") == error.exit_status:
            return Outcome(path, True, f"error {error.exit_status} as expected")
        return Outcome(path, False, f"error {error.exit_status}: {error.text.en}")
    listed = {
        "reasons": decision.codes,
        "warnings": tuple(w.code for w in decision.warnings),
        "obligations": tuple(o.code for o in decision.obligations),
    }
    return _compare(path, expect, decision.allowed, decision.basis, listed)


def _compare(
    path: Path,
    expect: dict[str, Any],
    allowed: bool,
    basis: str | None,
    listed: dict[str, tuple[str, ...]],
) -> Outcome:
    codes = listed["reasons"]
    got = f"allowed={allowed} basis={basis} reasons={list(codes)}"
    for name in ("warnings", "obligations"):
        if listed[name]:
            got += f" {name}={list(listed[name])}"
    if "error" in expect:
        return Outcome(path, False, f"expected error {expect['error']}, got {got}")
    problems = []
    if expect.get("allowed") is not allowed:
        problems.append(f"allowed should be {expect.get('allowed')}")
    if expect.get("basis") is not None and expect["basis"] != basis:
        problems.append(f"basis should be {expect['basis']}")
    for name in _LISTED:
        missing = [code for code in expect.get(name) or () if code not in listed[name]]
        if missing:
            problems.append(f"missing {name} {missing}")
    if problems:
        return Outcome(path, False, "; ".join(problems) + f" — got {got}")
    return Outcome(path, True, got)


def _check_expect(expect: object) -> str | None:
    if not isinstance(expect, dict):
        return "no expect block"
    if unknown := set(expect) - _EXPECT_KEYS:
        return f"expect: unknown keys {sorted(unknown)}"
    if "error" not in expect and not isinstance(expect.get("allowed"), bool):
        return "expect: needs allowed (true/false) or error"
    return None


def _expect_after_parse_failure(path: Path) -> dict[str, Any] | None:
    """A deliberately broken case can still state its expectation in a readable tail."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for index, line in enumerate(lines):
        if line.startswith("expect:"):
            try:
                tail = parse_text("\n".join(lines[index:]))
            except InvalidInput:
                return None
            value = tail.get("expect") if isinstance(tail, dict) else None
            return value if isinstance(value, dict) else None
    return None
