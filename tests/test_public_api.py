"""The public API that `licite/__init__.py` names (as httpx's test_exported_members)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import licite

PUBLIC = [
    "Campaign",
    "Case",
    "Decision",
    "ImportReport",
    "InvalidInput",
    "Ledger",
    "LiciteError",
    "NotModelled",
    "Verified",
    "decide",
    "decide_person",
    "history_as_of",
    "import_file",
    "load_campaign",
    "load_case",
    "verify",
]


def test_the_public_names_are_pinned() -> None:
    assert licite.__all__ == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_each_public_name_is_what_its_module_defines(name: str) -> None:
    value = getattr(licite, name)
    assert value.__name__ == name
    assert value.__module__.startswith("licite.")
    assert name in dir(licite)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'scrub_everything'"):
        licite.scrub_everything  # noqa: B018


def test_a_decision_through_the_public_api() -> None:
    case = licite.load_case(
        {
            "at": "2026-11-02T11:00:00+01:00",
            "sender": {"id": "shop"},
            "request": {"action": "contact", "channel": "email", "purpose": "commercial"},
            "person": {"kind": "consumer", "email": "a@example.fr"},
            "history": [],
        }
    )
    decision = licite.decide(case)
    assert isinstance(decision, licite.Decision)
    assert decision.allowed is False
    with pytest.raises(licite.InvalidInput):
        licite.load_case({"at": "2026-11-02", "request": {"action": "fly"}})


def test_importing_licite_loads_nothing_else() -> None:
    """`import licite` is free: the engine, the ledger and pydantic load on first use."""
    code = (
        "import sys, licite;"
        " print(sorted(m for m in sys.modules if m.startswith(('licite', 'pydantic'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "['licite']"
