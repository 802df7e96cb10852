"""A small language for the conditions the facts read events with, rendered twice.

A condition is written once (`licite.facts.declared`) and rendered into Python — a
function of an event `e` and a request's scope `q`, compiled once — and into DuckDB
SQL over the scrub's event columns and `$` parameters. Both renderings are two-valued:
a missing field compares as the Python `None` does (equal only to a missing value,
`IS NOT DISTINCT FROM` in SQL), a membership test on a missing field is false, a
yes-or-no field that is missing is false. So `~` (not) means the same on both sides,
which SQL's three-valued NOT would not.

Names: an event field is its name in `licite.case` and its column in the ledger
(`licite.ledger.rows.FIELD_COLUMNS`); a parameter is an attribute of
`licite.facts.scope.Scope` and a `$name` of `Scope.sql_params`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

Predicate = Callable[[Any, Any], bool]
"""A compiled condition: (event, scope) → bool."""


class Expr:
    """A condition on one event, given the request's scope."""

    def sql(self) -> str:
        raise NotImplementedError

    def py(self, consts: list[Any]) -> str:
        """Python source over `e` and `q`; constants it needs are appended to `consts` and
        named `_k<index>`."""
        raise NotImplementedError

    def params(self) -> frozenset[str]:
        """The scope's parameters the condition reads."""
        return frozenset()

    def __and__(self, other: Expr) -> Expr:
        return And((self, other))

    def __or__(self, other: Expr) -> Expr:
        return Or((self, other))

    def __invert__(self) -> Expr:
        return Not(self)


def _const(consts: list[Any], value: Any) -> str:
    consts.append(value)
    return f"_k{len(consts) - 1}"


def _sql_literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Field(Expr):
    """An event's field."""

    name: str

    def sql(self) -> str:
        return self.name

    def py(self, consts: list[Any]) -> str:
        return f"e.{self.name}"


@dataclass(frozen=True, slots=True)
class Param(Expr):
    """A value of the request's scope."""

    name: str

    def sql(self) -> str:
        return f"${self.name}"

    def py(self, consts: list[Any]) -> str:
        return f"q.{self.name}"

    def params(self) -> frozenset[str]:
        return frozenset({self.name})


@dataclass(frozen=True, slots=True)
class Value(Expr):
    """A constant of the vocabulary."""

    value: object

    def sql(self) -> str:
        return _sql_literal(self.value)

    def py(self, consts: list[Any]) -> str:
        return _const(consts, self.value)


TRUE = Value(True)


@dataclass(frozen=True, slots=True)
class Eq(Expr):
    """Equal, a missing value equal only to a missing one."""

    left: Expr
    right: Expr

    def sql(self) -> str:
        return f"({self.left.sql()} IS NOT DISTINCT FROM {self.right.sql()})"

    def py(self, consts: list[Any]) -> str:
        return f"({self.left.py(consts)} == {self.right.py(consts)})"

    def params(self) -> frozenset[str]:
        return self.left.params() | self.right.params()


@dataclass(frozen=True, slots=True)
class In(Expr):
    """A field among values of the vocabulary (false when missing)."""

    field: str
    values: frozenset[Any]

    def sql(self) -> str:
        listed = ", ".join(_sql_literal(v) for v in sorted(self.values))
        return f"coalesce({self.field} IN ({listed}), false)"

    def py(self, consts: list[Any]) -> str:
        return f"(e.{self.field} in {_const(consts, self.values)})"


@dataclass(frozen=True, slots=True)
class Missing(Expr):
    field: str

    def sql(self) -> str:
        return f"({self.field} IS NULL)"

    def py(self, consts: list[Any]) -> str:
        return f"(e.{self.field} is None)"


@dataclass(frozen=True, slots=True)
class Flag(Expr):
    """A yes-or-no field, false when missing."""

    field: str

    def sql(self) -> str:
        return f"coalesce({self.field}, false)"

    def py(self, consts: list[Any]) -> str:
        return f"bool(e.{self.field})"


@dataclass(frozen=True, slots=True)
class And(Expr):
    parts: tuple[Expr, ...]

    def sql(self) -> str:
        return "(" + " AND ".join(p.sql() for p in _flat(self.parts, And)) + ")"

    def py(self, consts: list[Any]) -> str:
        return "(" + " and ".join(p.py(consts) for p in _flat(self.parts, And)) + ")"

    def params(self) -> frozenset[str]:
        return frozenset().union(*(p.params() for p in self.parts))


@dataclass(frozen=True, slots=True)
class Or(Expr):
    parts: tuple[Expr, ...]

    def sql(self) -> str:
        return "(" + " OR ".join(p.sql() for p in _flat(self.parts, Or)) + ")"

    def py(self, consts: list[Any]) -> str:
        return "(" + " or ".join(p.py(consts) for p in _flat(self.parts, Or)) + ")"

    def params(self) -> frozenset[str]:
        return frozenset().union(*(p.params() for p in self.parts))


@dataclass(frozen=True, slots=True)
class Not(Expr):
    part: Expr

    def sql(self) -> str:
        return f"(NOT {self.part.sql()})"

    def py(self, consts: list[Any]) -> str:
        return f"(not {self.part.py(consts)})"

    def params(self) -> frozenset[str]:
        return self.part.params()


@dataclass(frozen=True, slots=True)
class If(Expr):
    """`then` where the scope's condition holds, else `otherwise`."""

    condition: Expr
    then: Expr
    otherwise: Expr

    def sql(self) -> str:
        return (
            f"(CASE WHEN {self.condition.sql()} THEN {self.then.sql()}"
            f" ELSE {self.otherwise.sql()} END)"
        )

    def py(self, consts: list[Any]) -> str:
        return (
            f"({self.then.py(consts)} if {self.condition.py(consts)}"
            f" else {self.otherwise.py(consts)})"
        )

    def params(self) -> frozenset[str]:
        return self.condition.params() | self.then.params() | self.otherwise.params()


@dataclass(frozen=True, slots=True)
class SenderIs(Expr):
    """The event's sender — a missing one is the request's — is the request's (or, with
    `or_all`, also "all"). SQL reads the columns `mine` and `mine_or_all`, computed once
    an event from the same rule (`facts_sql`, `SENDER_COLUMNS`)."""

    or_all: bool = False

    def sql(self) -> str:
        return "mine_or_all" if self.or_all else "mine"

    def py(self, consts: list[Any]) -> str:
        if self.or_all:
            return "((e.sender or q.s) in (q.s, 'all'))"
        return "((e.sender or q.s) == q.s)"

    def params(self) -> frozenset[str]:
        return frozenset({"s"})

    def column(self) -> str:
        """The SQL that computes the column this condition reads."""
        if self.or_all:
            return "coalesce(sender, $s) IN ($s, 'all')"
        return "coalesce(sender, $s) = $s"


@dataclass(frozen=True, slots=True)
class Since(Expr):
    """The event lies at or after the scope's moment `start` (and, with `before`, before
    the scope's moment `before`)."""

    start: str
    before: str | None = None

    def sql(self) -> str:
        since = f"at_us >= ${self.start}"
        return f"({since} AND at_us < ${self.before})" if self.before else f"({since})"

    def py(self, consts: list[Any]) -> str:
        if self.before:
            return f"(q.{self.start} <= e.at < q.{self.before})"
        return f"(e.at >= q.{self.start})"

    def params(self) -> frozenset[str]:
        return frozenset({self.start} | ({self.before} if self.before else set()))


@dataclass(frozen=True, slots=True)
class Overlaps(Expr):
    """A list field (a purchase's products) shares a label with the scope's set `param`."""

    field: str
    param: str

    def sql(self) -> str:
        return (
            f"coalesce(list_has_any(from_json(coalesce({self.field}, '[]'), '[\"VARCHAR\"]'),"
            f" ${self.param}), false)"
        )

    def py(self, consts: list[Any]) -> str:
        return f"(not q.{self.param}.isdisjoint(e.{self.field}))"

    def params(self) -> frozenset[str]:
        return frozenset({self.param})


def _flat(parts: Iterable[Expr], kind: type) -> list[Expr]:
    out: list[Expr] = []
    for p in parts:
        out.extend(_flat(p.parts, kind) if isinstance(p, kind) else [p])  # type: ignore[attr-defined]
    return out


def on_event(expr: Expr, fields: Mapping[str, object]) -> Expr:
    """The condition for an event whose fields are all known — `fields`, the others
    missing (a sender left out is the request's): what is left reads only the scope. The
    scrub uses it for the events it never stores (an erasure's objection, a STOP texted),
    so that they are read by the same declarations as recorded ones."""

    def known(e: Expr) -> Expr:
        if isinstance(e, Field):
            return Value(fields.get(e.name))
        if isinstance(e, Missing):
            return Value(fields.get(e.field) is None)
        if isinstance(e, In):
            return Value(fields.get(e.field) in e.values)
        if isinstance(e, Flag):
            return Value(bool(fields.get(e.field)))
        if isinstance(e, SenderIs):
            sender = fields.get("sender")
            if sender is None:
                return TRUE
            mine: Expr = Eq(Value(sender), Param("s"))
            return Or((mine, Value(sender == "all"))) if e.or_all else mine
        if isinstance(e, Eq):
            return Eq(known(e.left), known(e.right))
        if isinstance(e, And):
            return And(tuple(known(p) for p in e.parts))
        if isinstance(e, Or):
            return Or(tuple(known(p) for p in e.parts))
        if isinstance(e, Not):
            return Not(known(e.part))
        if isinstance(e, If):
            return If(known(e.condition), known(e.then), known(e.otherwise))
        if isinstance(e, Param | Value):
            return e
        raise TypeError(f"{type(e).__name__} needs a stored event")

    return known(expr)


def compile_predicate(expr: Expr, name: str) -> Predicate:
    """The condition as a Python function of (event, scope), compiled once."""
    consts: list[Any] = []
    source = f"lambda e, q: {expr.py(consts)}"
    namespace: dict[str, Any] = {f"_k{i}": c for i, c in enumerate(consts)}
    # Source written from licite's own declarations, never from input.
    function: Predicate = eval(compile(source, f"<fact {name}>", "eval"), namespace)
    return function


def eq(field: str, value: object) -> Expr:
    """The event's `field` equals a vocabulary value."""
    return Eq(Field(field), Value(value))


def is_param(field: str, param: str) -> Expr:
    """The event's `field` equals the scope's `param`."""
    return Eq(Field(field), Param(param))
