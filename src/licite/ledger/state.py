"""What the signed head covers beyond the two chains (schema v5).

The chains cover every person record and event as appended. Some tables are
not chained because licite changes them in place: `meta` (the key
fingerprints), the erasure marks (`persons.erased_at_us`), the suppression
records kept after an erasure and the opposition lists (Bloctel). Deleting
an erasure mark and restoring a person's key from a backup would make an
erased person readable again without touching a chain; deleting a Bloctel
entry would allow a call the law forbids.

So every commit summarises those tables in a short line, `State`, that the
head's signature covers: a digest of `meta`, and a count and a sum of the
dates of each of the others. `verify` recomputes the summary and names the
part that no longer matches. Each part costs at most one pass over rows that
are few (erased people, through the partial index `persons_erased`; their
suppression records; list receptions), so a commit stays cheap.

Not covered here, and said in docs/security.md: which phone numbers a list
reception holds (verify checks their count against the reception's), and the
wrapped person keys themselves (verify checks that exactly the people not
erased have one; a changed one no longer opens, which reading the person says).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from licite.i18n import Text

Query = Callable[[str], Sequence[Sequence[Any]]]
Many = Callable[[Sequence[str]], Sequence[Sequence[Sequence[Any]]]]

_PARTS: tuple[tuple[str, str, Text], ...] = (
    (
        "erased",
        "SELECT count(*), COALESCE(sum(erased_at_us / 1000000), 0) FROM persons"
        " WHERE erased_at_us IS NOT NULL",
        Text(
            "les marques d'effacement (persons.erased_at_us)",
            "the erasure marks (persons.erased_at_us)",
        ),
    ),
    (
        "suppressions",
        "SELECT count(*), COALESCE(sum(at_us / 1000000), 0) FROM suppressions",
        Text(
            "les empreintes gardées après effacement (suppressions)",
            "the hashes kept after erasures (suppressions)",
        ),
    ),
    (
        "lists",
        "SELECT count(*), COALESCE(sum(count), 0) FROM suppression_imports",
        Text(
            "les réceptions des listes d'opposition (suppression_imports)",
            "the opposition list receptions (suppression_imports)",
        ),
    ),
)
_META = Text("la table meta (empreintes des clés)", "the meta table (key fingerprints)")


@dataclass(frozen=True, slots=True)
class State:
    """The summary line the head's signature covers, part by part."""

    parts: tuple[tuple[str, str], ...]

    def line(self) -> str:
        return ";".join(f"{name}={value}" for name, value in self.parts)

    @classmethod
    def parse(cls, line: str) -> State:
        pairs = (part.partition("=") for part in line.split(";"))
        return cls(tuple((name, value) for name, _, value in pairs if name))

    def differs(self, other: State) -> Text | None:
        """The first part that differs from `other` (the one signed), named; else None."""
        signed = dict(other.parts)
        for name, value in self.parts:
            if signed.get(name) != value:
                what = _META if name == "meta" else next(t for n, _, t in _PARTS if n == name)
                shown = signed.get(name, "absent")
                return Text(
                    f"{what.fr} a changé depuis la signature de la tête : signé {shown},"
                    f" trouvé {value}",
                    f"{what.en} changed since the head was signed: signed {shown}, found {value}",
                )
        return None


def current_state(query: Query, dialect: str = "sqlite", many: Many | None = None) -> State:
    """The summary of the tables as they are, read through `query` inside a transaction
    (a commit's, or verify's snapshot); through `many` at once when given (a commit's)."""
    statements = ["SELECT name, value FROM meta"]
    for name, sql, _ in _PARTS:
        if dialect == "postgresql" and name == "erased":
            # Through the partial index, whatever the statistics say: during a large
            # import they lag, and PostgreSQL then reads every person at every commit
            # (28 ms a commit at 40 000 persons, growing with the ledger).
            statements += ["SET LOCAL enable_seqscan = off", sql, "SET LOCAL enable_seqscan = on"]
        else:
            statements.append(sql)
    answers = many(statements) if many is not None else [query(sql) for sql in statements]
    rows = dict(zip(statements, answers, strict=True))
    meta = sorted((str(n), str(v)) for n, v in rows[statements[0]])
    lines = "".join(f"{name}={value}\n" for name, value in meta)
    parts = [("meta", hashlib.sha256(lines.encode()).hexdigest()[:32])]
    for name, sql, _ in _PARTS:
        count, total = rows[sql][0]
        parts.append((name, f"{int(count)},{int(total)}"))
    return State(tuple(parts))
