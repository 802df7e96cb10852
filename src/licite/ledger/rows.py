"""Events as rows with typed columns, and back.

The columns are a contract with the batch scrub, which reads them through
DuckDB: values are stored exactly as the validated model holds them (enum
values, labels already normalized), NULL where the event has no such field.
Booleans are stored as 0/1 so that SQLite and PostgreSQL encode them alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import Enum
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

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
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """UTC epoch microseconds, exact (no float on the way)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


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
