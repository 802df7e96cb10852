"""The consent ledger (issue 3): append-only, provable, erasable.

What licite knows about a person is a ledger of events in SPEC §2's history
vocabulary, kept in SQLite (embedded default) or PostgreSQL (shared server),
hash-chained and signed, with personal data sealed per person. See
docs/ledger.md for the design and the schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from licite import lazy_exports

if TYPE_CHECKING:
    from licite.errors import (
        KeyProblem,
        LedgerError,
        StoreUnavailable,
        Tampered,
        UnknownPerson,
    )
    from licite.ledger.decide import decide_person
    from licite.ledger.history import effective_sender, history_as_of
    from licite.ledger.importer import ImportReport, import_file
    from licite.ledger.ledger import Ledger

# Imported at once: `licite.ledger.verify` is also the name of its module, which would
# otherwise take the function's place in this namespace when first imported.
from licite.ledger.verify import Verified, verify

_WHERE = {
    "ImportReport": "licite.ledger.importer",
    "KeyProblem": "licite.errors",
    "Ledger": "licite.ledger.ledger",
    "LedgerError": "licite.errors",
    "StoreUnavailable": "licite.errors",
    "Tampered": "licite.errors",
    "UnknownPerson": "licite.errors",
    "decide_person": "licite.ledger.decide",
    "effective_sender": "licite.ledger.history",
    "history_as_of": "licite.ledger.history",
    "import_file": "licite.ledger.importer",
}
__all__ = [
    "ImportReport",
    "KeyProblem",
    "Ledger",
    "LedgerError",
    "StoreUnavailable",
    "Tampered",
    "UnknownPerson",
    "Verified",
    "decide_person",
    "effective_sender",
    "history_as_of",
    "import_file",
    "verify",
]


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
