"""Events as rows with typed columns, and back.

The columns are a contract with the batch scrub, which reads them through
DuckDB: values are stored exactly as the validated model holds them (enum
values, labels already normalized), NULL where the event has no such field.
Booleans are stored as 0/1 so that SQLite and PostgreSQL encode them alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from enum import Enum
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from licite.moments import micros

if TYPE_CHECKING:  # at run time only chain.py's constants are needed in a verify helper
    from pydantic import BaseModel

    from licite.case import Event


def _canonical_json() -> Callable[[Any], str]:
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
    try:
        from _json import make_encoder
    except ImportError:  # another Python: the same encoding, made by json's own code
        return encoder.encode
    # The encoder json.dumps builds for each call, built once: a quarter of the cost
    # of encoding an event goes to building it.
    one_shot = make_encoder(
        None, encoder.default, encode_basestring, None, ":", ",", False, False, True
    )
    join = "".join

    def encode(value: Any) -> str:
        return join(one_shot(value, 0))

    return encode


ENCODE = _canonical_json()
"""The canonical encoding: compact JSON, as SQLite's json_array() writes it (no spaces,
text as is, control characters escaped)."""

FIELD_COLUMNS: tuple[str, ...] = (
    "sender",
    "channel",
    "purpose",
    "method",
    "mechanism",
    "processing",
    "kind",
    "outcome",
    "via",
    "object",
    "products",
    "source",
    "wording",
    "informed",
    "informed_at_us",
    "informed_at_text",
    "terms_forbid_reuse",
    "opt_out_offered",
    "partner_consent",
    "partners_named",
    "consent_proof",
    "outside_hours",
)
PROOF_COLUMNS: tuple[str, ...] = ("proof_form", "proof_wording", "proof_recorded_by")
FACT_COLUMNS: tuple[str, ...] = (
    "person_id",
    "at_us",
    "at_text",
    "type",
    *FIELD_COLUMNS,
    *PROOF_COLUMNS,
)
"""What the event says; its keyed hash (`content_hash`) makes the import idempotent."""

CHAINED_COLUMNS: tuple[str, ...] = (
    *FACT_COLUMNS,
    "proof_evidence",
    "content_hash",
    "recorded_at_us",
)
"""Everything stored about an event, in the order the chain encodes it."""

BOOLEAN_COLUMNS = frozenset(
    {
        "informed",
        "terms_forbid_reuse",
        "opt_out_offered",
        "partner_consent",
        "partners_named",
        "consent_proof",
        "outside_hours",
    }
)
_INDEX = {column: i for i, column in enumerate(FIELD_COLUMNS)}
_INFORMED_AT_US = _INDEX["informed_at_us"]
_INFORMED_AT_TEXT = _INDEX["informed_at_text"]
_PLANS: dict[type, tuple[tuple[str, int], ...]] = {}


def _plan(kind: type[BaseModel]) -> tuple[tuple[str, int], ...]:
    """The fields of one event class that have a column, with the column's index."""
    plan = _PLANS.get(kind)
    if plan is None:
        named = [(name, _INDEX.get(name, _INFORMED_AT_US)) for name in kind.model_fields]
        plan = _PLANS[kind] = tuple(
            (name, index) for name, index in named if name in _INDEX or name == "informed_at"
        )
    return plan


def fields_of(event: Event) -> list[Any]:
    """The FIELD_COLUMNS values of a validated event (None where it has no such field)."""
    out: list[Any] = [None] * len(FIELD_COLUMNS)
    values = event.__dict__
    for name, index in _plan(type(event)):
        value = values[name]
        kind = value.__class__
        if kind is str or value is None:
            out[index] = value
        elif kind is bool:
            out[index] = int(value)
        elif isinstance(value, Enum):
            out[index] = value._value_
        elif kind is tuple:
            out[index] = ENCODE(list(value))
        elif index == _INFORMED_AT_US:
            out[index] = micros(value)
            out[_INFORMED_AT_TEXT] = value.isoformat()
        else:
            out[index] = value
    return out


def event_facts(
    person_id: str, event: Event, proof: Sequence[str | None], at_text: str | None = None
) -> list[Any]:
    """One FACT_COLUMNS row; `at_text` keeps the offset the moment was given with."""
    at = event.at
    text = at.isoformat() if at_text is None else at_text
    return [person_id, micros(at), text, event.type, *fields_of(event), *proof]


FactRow = tuple[list[Any], bytes, str]
"""An event's facts that are not None (FACT_COLUMNS order), which columns those are (1 for
each column with a value, else 0), and the canonical encoding of all its facts."""

_FIRST = 4
"""person_id, at_us, at_text and type: always there, ahead of the fields."""
_PROOF_AT = _FIRST + len(FIELD_COLUMNS)
_STEPS: dict[type, tuple[tuple[str, int], ...]] = {}
_SHAPES: dict[int, tuple[bytes, str]] = {}


def fact_row(
    person_id: str, event: Event, proof: Sequence[str | None], at_text: str | None = None
) -> FactRow:
    """`event_facts` as the journal stores and chains it, in one pass.

    The same as `[f for f in facts if f is not None]`, `bytes(f is not None for f in facts)`
    and `ENCODE(facts)` for `facts = event_facts(...)` (a test holds them equal), at a
    third of the cost: an import makes one for every event, and most facts are None."""
    at = event.at
    text = at.isoformat() if at_text is None else at_text
    at_us = micros(at)
    event_type = event.type
    values: list[Any] = [person_id, at_us, text, event_type]
    parts = [_part(person_id), str(at_us), _part(text), _part(event_type)]
    mask = (1 << _FIRST) - 1
    given = event.__dict__
    steps = _STEPS.get(event.__class__)
    if steps is None:
        steps = _steps(event.__class__)
    for name, position in steps:
        value = given[name]
        if value is None:
            continue
        kind = value.__class__
        if kind is str:
            part = encode_basestring(value)
        elif kind is bool:
            value = int(value)
            part = "1" if value else "0"
        elif isinstance(value, Enum):
            value = value._value_
            part = _part(value)
        elif kind is tuple:
            value = ENCODE(list(value))
            part = encode_basestring(value)
        elif position == _FIRST + _INFORMED_AT_US:  # informed_at_text is the next column
            us, iso = micros(value), value.isoformat()
            values += (us, iso)
            parts += (str(us), _part(iso))
            mask |= 3 << position
            continue
        else:
            part = ENCODE(value)
        values.append(value)
        parts.append(part)
        mask |= 1 << position
    for offset, value in enumerate(proof):
        if value is not None:
            values.append(value)
            parts.append(_part(value))
            mask |= 1 << (_PROOF_AT + offset)
    filled, template = _SHAPES.get(mask) or _shape(mask)
    return values, filled, template % tuple(parts)


def _part(value: Any) -> str:
    """One value's canonical encoding, as ENCODE writes it inside an array."""
    return encode_basestring(value) if value.__class__ is str else ENCODE(value)


def _steps(kind: type[BaseModel]) -> tuple[tuple[str, int], ...]:
    """`_plan` in column order, positions counted in FACT_COLUMNS."""
    ordered = sorted(_plan(kind), key=lambda step: step[1])
    steps = _STEPS[kind] = tuple((name, _FIRST + index) for name, index in ordered)
    return steps


def _shape(mask: int) -> tuple[bytes, str]:
    """The mask as `filled` bytes (one object per shape: it crosses a pipe, memoized), and
    the encoding's template, `null` where a fact is None."""
    given = [mask >> position & 1 for position in range(len(FACT_COLUMNS))]
    template = "[" + ",".join("%s" if bit else "null" for bit in given) + "]"
    shape = _SHAPES[mask] = (bytes(given), template)
    return shape


_READ_COLUMNS = ("at_text", "type", *FIELD_COLUMNS)
READ_SELECT = ", ".join(_READ_COLUMNS)
"""The columns `event_dict` reads, in its order."""


def event_dict(row: Sequence[Any]) -> dict[str, Any]:
    """A stored event back in the history vocabulary of SPEC §2 (for `load_events`)."""
    out: dict[str, Any] = {"at": row[0], "type": row[1]}
    for column, value in zip(FIELD_COLUMNS, row[2:], strict=True):
        if value is None or column == "informed_at_us":
            continue
        if column == "products":
            out["products"] = json.loads(value)
        elif column == "informed_at_text":
            out["informed_at"] = value
        elif column in BOOLEAN_COLUMNS:
            out[column] = bool(value)
        else:
            out[column] = value
    return out
