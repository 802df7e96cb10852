"""licite: may we contact this person, analyse their correspondence, keep their data?

The public API, for a program that decides without the command line or the HTTP
service (SPEC §2–§4); everything else is licite's own and may change:

    from licite import decide, load_case
    decision = decide(load_case(document))      # document: a case as YAML/JSON values
    decision.allowed, decision.reasons, decision.to_dict("en")

    from licite import Ledger, decide_person, load_campaign
    with Ledger.open() as ledger:                # LICITE_DATABASE_URL, else sqlite:///licite.db
        decision = decide_person(ledger, "p-1", load_campaign(campaign))

Each name is imported when first used (PEP 562), so `import licite` costs nothing
and a single decision loads neither the ledger nor the scrub.
tests/test_public_api.py pins this list.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from licite.case import Campaign, Case, load_campaign, load_case
    from licite.decision import Decision
    from licite.engine import decide
    from licite.errors import InvalidInput, LiciteError, NotModelled
    from licite.ledger.decide import decide_person
    from licite.ledger.history import history_as_of
    from licite.ledger.importer import ImportReport, import_file
    from licite.ledger.ledger import Ledger
    from licite.ledger.verify import Verified, verify

_WHERE = {
    "Campaign": "licite.case",
    "Case": "licite.case",
    "Decision": "licite.decision",
    "ImportReport": "licite.ledger.importer",
    "InvalidInput": "licite.errors",
    "Ledger": "licite.ledger.ledger",
    "LiciteError": "licite.errors",
    "NotModelled": "licite.errors",
    "Verified": "licite.ledger.verify",
    "decide": "licite.engine",
    "decide_person": "licite.ledger.decide",
    "history_as_of": "licite.ledger.history",
    "import_file": "licite.ledger.importer",
    "load_campaign": "licite.case",
    "load_case": "licite.case",
    "verify": "licite.ledger.verify",
}

__all__ = [
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


def lazy_exports(
    package: str, where: Mapping[str, str], public: Collection[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package` (PEP 562): each name of `where` is
    imported from its module on first use, then kept in the package's namespace. Used
    by this package and `licite.ledger`; here so that `import licite` loads nothing else."""
    namespace = sys.modules[package].__dict__

    def attribute(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted({*namespace, *public})

    return attribute, names


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
