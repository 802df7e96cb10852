"""The ledger's errors, rooted at `LiciteError` like every error a user can see.

sqlite3, psycopg and cryptography errors are turned into these at the store's
edge, so a user reads what went wrong with which store or key, never a traceback.
"""

from __future__ import annotations

from licite.errors import InvalidInput, LiciteError


class LedgerError(LiciteError):
    """The ledger cannot do what was asked (store unreachable, broken key, …)."""

    exit_status = 1


class StoreUnavailable(LedgerError):
    """The database named by LICITE_DATABASE_URL cannot be opened or queried."""

    exit_status = 5


class NoLedger(StoreUnavailable):
    """A command that only reads found no ledger where it was told to look (and made none)."""


class KeyProblem(LedgerError):
    """A key in the configuration is malformed, missing, or not this ledger's."""

    exit_status = 6


class UnknownPerson(InvalidInput):
    """No person with this id is recorded in the ledger."""


class Tampered(LedgerError):
    """`verify` found the ledger changed, removed, inserted or reordered."""

    exit_status = 4
