"""The case format (SPEC §2), validated at the edge into typed, frozen facts.

Unknown fields and values are errors everywhere; a bad value is reported with
its field path ("history[2].mechanism") and the value itself, in French and in
English. Moments become timezone-aware datetimes (see `licite.moments`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from licite.errors import InvalidInput, NotModelled, shown
from licite.i18n import Text
from licite.moments import RANGE_TEXT, MomentOutOfRange, parse_moment
from licite.phones import normalize_phone
from licite.vocabulary import (
    Action,
    AnalysisPurpose,
    CallOutcome,
    Channel,
    ChannelOrAll,
    CollectPurpose,
    ConsentPurpose,
    InteractionKind,
    Mechanism,
    Method,
    PersonKind,
    Purpose,
    Sector,
    SenderKind,
    Via,
)

MAX_EVENTS = 100_000
M = TypeVar("M", bound=BaseModel)


OUT_OF_RANGE = "licite_out_of_range"
"""The error type of a moment outside the years licite models: exit 3, not 2 (SPEC §3)."""


def _fail(fr: str, en: str) -> PydanticCustomError:
    return PydanticCustomError("licite", en, {"fr": fr, "en": en})


def _moment(value: object) -> datetime:
    if isinstance(value, str):
        return _moment_of_text(value)
    return _checked_moment(value)


@lru_cache(maxsize=1 << 14)
def _moment_of_text(text: str) -> datetime:
    # Cases and histories repeat their moments (a campaign's, a ledger's few thousand
    # days): each text is parsed once.
    return _checked_moment(text)


def _checked_moment(value: object) -> datetime:
    try:
        return parse_moment(value)
    except MomentOutOfRange:
        raise PydanticCustomError(
            OUT_OF_RANGE,
            "outside the years licite models",
            {
                "fr": f"date hors de ce que licite modélise ({RANGE_TEXT})",
                "en": f"date outside what licite models ({RANGE_TEXT})",
            },
        ) from None
    except (ValueError, OverflowError) as error:
        raise _fail(
            f"date invalide ({error}) ; attendu AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SS±HH:MM",
            f"invalid date ({error}); expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS±HH:MM",
        ) from None


def _instant(value: object) -> datetime:
    """An event's moment, kept in UTC: histories are sorted and compared, never displayed."""
    if isinstance(value, str):
        return _instant_of_text(value)
    return _moment(value).astimezone(UTC)


@lru_cache(maxsize=1 << 14)
def _instant_of_text(text: str) -> datetime:
    return _moment_of_text(text).astimezone(UTC)


def _text_of_number(value: object) -> object:
    """A postal code or phone number written without quotes arrives as an int."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _phone(value: object) -> object:
    value = _text_of_number(value)
    if value is None or not isinstance(value, str):
        return value
    normalized = normalize_phone(value)
    if normalized is None:
        raise _fail("numéro de téléphone illisible", "not a phone number")
    return normalized


def _postal_code(value: object) -> object:
    value = _text_of_number(value)
    if isinstance(value, str):
        value = value.strip()
        if not (len(value) == 5 and value.isascii() and value.isdigit()):
            raise _fail("code postal à 5 chiffres attendu", "expected a 5-digit postal code")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _email(value: object) -> object:
    if isinstance(value, str):
        value = value.strip().lower()
        local, at, domain = value.partition("@")
        if not (at and local and domain) or len(value.split()) != 1:
            raise _fail("adresse électronique invalide", "not an email address")
        if _CONTROL.search(value):
            raise _fail(
                "adresse électronique invalide (caractère de contrôle)",
                "not an email address (a control character)",
            )
    return value


# What an email address or a French/international phone number looks like inside a text.
_EMAIL_IN = re.compile(r"[^\s@<>()\[\]\",;:]+@[^\s@<>()\[\]\",;:]+\.[^\s@<>()\[\]\",;:]+")
_PHONE_IN = re.compile(r"(?:\+|\b)[0-9](?:[ .\-/]?[0-9]){8,14}\b")


def personal_address_in(text: str) -> str | None:
    """ "email" or "phone" when `text` holds an email address or a phone number."""
    if "@" in text and _EMAIL_IN.search(text):
        return "email"
    for found in _PHONE_IN.finditer(text):
        if normalize_phone(found.group()) is not None:
            return "phone"
    return None


def _opaque_id(value: object) -> object:
    """A person's id is chained for ever: never their address or number (GDPR art. 5-1-c,
    data minimisation; erasure could not reach it)."""
    value = _text_of_number(value)
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise _fail("caractère de contrôle interdit", "control character not allowed")
        _no_address(value, "identifiant", "id")
    return value


@lru_cache(maxsize=1 << 14)  # an import repeats its senders, sources and people's ids
def address_kind(value: str) -> str | None:
    """`personal_address_in`, remembered."""
    return personal_address_in(value)


def _no_address(value: str, what_fr: str, what_en: str, *, text: bool = False) -> None:
    found = address_kind(value)
    if found is not None:
        kind_fr, kind_en = (
            ("une adresse électronique", "an email address")
            if found == "email"
            else ("un numéro de téléphone", "a phone number")
        )
        hint_fr, hint_en = (
            ("écrivez-le sans adresse ni numéro", "write it without any address or number")
            if text
            else (
                "utilisez un identifiant opaque (numéro client, UUID)",
                "use an opaque id (a customer number, a UUID)",
            )
        )
        raise _fail(
            f"{what_fr} contenant {kind_fr} : le registre l'enchaînerait pour toujours, hors"
            f" d'atteinte de l'effacement ; {hint_fr} — l'adresse d'une personne va dans ses"
            " champs email/phone (chiffrés)",
            f"{what_en} holding {kind_en}: the ledger would chain it for ever, out of reach"
            f" of erasure; {hint_en} — a person's address goes in their email/phone fields"
            " (sealed)",
        )


def _chained_text(value: object) -> object:
    """A text the ledger chains in the clear (sender, processing, source, object, products,
    wording): no email address nor phone number in it, whoever's."""
    if isinstance(value, str) and address_kind(value) is not None:  # remembered: one call
        _no_address(value, "texte", "text", text=True)
    return value


Moment = Annotated[datetime, BeforeValidator(_moment)]
Instant = Annotated[datetime, BeforeValidator(_instant)]
Identifier = Annotated[str, Field(min_length=1, max_length=200)]
FreeText = Annotated[str, Field(max_length=2000)]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=200)
]
PersonId = Annotated[str, BeforeValidator(_opaque_id), Field(min_length=1, max_length=200)]
ChainedId = Annotated[Identifier, BeforeValidator(_chained_text)]
ChainedText = Annotated[FreeText, BeforeValidator(_chained_text)]
ChainedLabel = Annotated[Label, BeforeValidator(_chained_text)]
Phone = Annotated[str, BeforeValidator(_phone)]
PostalCode = Annotated[str, BeforeValidator(_postal_code)]
Email = Annotated[str, BeforeValidator(_email), Field(max_length=320)]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,  # `id: 42` or an unquoted postal code is text
    )


class Sender(_Strict):
    id: Identifier
    kind: SenderKind = SenderKind.COMPANY
    bloctel_checked_at: Moment | None = None
    election_ends: Moment | None = None


class Message(_Strict):
    identifies_sender: StrictBool | None = None
    opt_out: StrictBool | None = None
    subject_related: StrictBool | None = None


class Request(_Strict):
    action: Action
    channel: Channel | None = None
    purpose: Purpose | None = None
    offer: Label | None = None
    analogous: Annotated[tuple[Label, ...], Field(max_length=100)] = ()
    """The categories the sender declares its offer analogous to (SPEC general rules, v2)."""
    sector: Sector | None = None
    relates_to_profession: StrictBool = False
    caller_id: Phone | None = None
    """The number a phone call shows (Arcep décision 2022-1583, v2)."""
    message: Message | None = None
    processing: Identifier | None = None
    analysis_purpose: AnalysisPurpose | None = None
    processing_since: Moment | None = None

    @model_validator(mode="after")
    def _needs(self) -> Request:
        if self.action is Action.CONTACT:
            if self.channel is None:
                raise _required("channel")
            if self.purpose is None:
                raise _required("purpose")
        if self.action is Action.ANALYZE and self.analysis_purpose is None:
            raise _required("analysis_purpose")
        return self


def _required(field: str) -> PydanticCustomError:
    return _fail(
        f"le champ {field!r} est obligatoire pour cette action",
        f"field {field!r} is required for this action",
    )


class Person(_Strict):
    id: PersonId | None = None
    kind: PersonKind
    email: Email | None = None
    phone: Phone | None = None
    postal_code: PostalCode | None = None


class _Event(_Strict):
    at: Instant


class Collected(_Event):
    type: Literal["collected"]
    purpose: CollectPurpose | None = None
    method: Method | None = None
    source: ChainedText | None = None
    terms_forbid_reuse: StrictBool = False
    informed: StrictBool | None = None
    informed_at: Moment | None = None
    opt_out_offered: StrictBool = False
    partner_consent: StrictBool = False
    partners_named: StrictBool = False
    consent_proof: StrictBool = False


class Consent(_Event):
    type: Literal["consent"]
    channel: ChannelOrAll | None = None
    purpose: ConsentPurpose | None = None
    processing: ChainedId | None = None
    sender: ChainedId | None = None
    mechanism: Mechanism | None = None
    wording: ChainedText | None = None
    outside_hours: StrictBool = False


class Withdrawal(_Event):
    type: Literal["withdrawal"]
    channel: ChannelOrAll | None = None
    purpose: ConsentPurpose | None = None
    processing: ChainedId | None = None
    sender: ChainedId | None = None


class Objection(_Event):
    type: Literal["objection"]
    channel: ChannelOrAll | None = None
    sender: ChainedId | None = None
    via: Via | None = None


class Customer(_Event):
    type: Literal["customer"]
    sender: ChainedId | None = None
    products: Annotated[tuple[ChainedLabel, ...], Field(max_length=1000)] = ()


class CustomerEnd(_Event):
    type: Literal["customer_end"]
    sender: ChainedId | None = None


class Contract(_Event):
    type: Literal["contract"]
    sender: ChainedId | None = None
    object: ChainedLabel | None = None


class ContractEnd(_Event):
    type: Literal["contract_end"]
    sender: ChainedId | None = None
    object: ChainedLabel | None = None


class Interaction(_Event):
    type: Literal["interaction"]
    kind: InteractionKind
    sender: ChainedId | None = None


class Call(_Event):
    type: Literal["call"]
    sender: ChainedId | None = None
    outcome: CallOutcome | None = None


class Bloctel(_Event):
    type: Literal["bloctel"]


class BloctelRemoved(_Event):
    type: Literal["bloctel_removed"]


class OpinionInferred(_Event):
    type: Literal["opinion_inferred"]
    source: ChainedText | None = None


Event = Annotated[
    Collected
    | Consent
    | Withdrawal
    | Objection
    | Customer
    | CustomerEnd
    | Contract
    | ContractEnd
    | Interaction
    | Call
    | Bloctel
    | BloctelRemoved
    | OpinionInferred,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[str, ...] = (
    "collected",
    "consent",
    "withdrawal",
    "objection",
    "customer",
    "customer_end",
    "contract",
    "contract_end",
    "interaction",
    "call",
    "bloctel",
    "bloctel_removed",
    "opinion_inferred",
)


class Case(_Strict):
    """One person, one request, one moment, and what the ledger knows about that person."""

    id: Identifier | None = None
    title: FreeText | None = None
    source: FreeText | None = None
    at: Moment
    sender: Sender
    request: Request
    person: Person
    history: Annotated[tuple[Event, ...], Field(max_length=MAX_EVENTS)] = ()
    expect: dict[str, Any] | None = None


class Campaign(_Strict):
    """A case without a person: the same sender and request, applied to many people."""

    id: Identifier | None = None
    title: FreeText | None = None
    source: FreeText | None = None
    at: Moment | None = None
    sender: Sender
    request: Request
    expect: dict[str, Any] | None = None


def load_case(data: object, *, name: str = "case") -> Case:
    """Validate a parsed document as a case; InvalidInput names every bad field."""
    return _validate(Case, data, name)


def load_campaign(data: object, *, name: str = "campaign") -> Campaign:
    return _validate(Campaign, data, name)


def load_events(data: object, *, name: str = "history") -> tuple[Event, ...]:
    """Validate a list of history events (the ledger's vocabulary)."""
    return _validate(_History, {"history": data}, name).history


class _History(_Strict):
    history: tuple[Event, ...]


def _validate(model: type[M], data: object, name: str) -> M:
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise InvalidInput(
            Text(
                f"{name} : un objet (clé: valeur) est attendu, reçu {kind}",
                f"{name}: expected a mapping (key: value), got {kind}",
            )
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        # Only a moment out of range is "not modelled" (exit 3); any other error first.
        if all(item["type"] == OUT_OF_RANGE for item in error.errors(include_url=False)):
            raise NotModelled(explain(error)) from None
        raise InvalidInput(explain(error)) from None
    except RecursionError:
        raise InvalidInput(Text("imbrication trop profonde", "nesting too deep")) from None


def explain(error: ValidationError, limit: int = 10) -> Text:
    """One line a problem: the field path, what is wrong, the value received."""
    lines_fr: list[str] = []
    lines_en: list[str] = []
    for item in error.errors(include_url=False)[:limit]:
        path = field_path(item["loc"])
        fr, en = _describe(item)
        shown = _show(item.get("input"))
        if item["type"] == "missing":
            lines_fr.append(f"{path} : {fr}")
            lines_en.append(f"{path}: {en}")
        else:
            lines_fr.append(f"{path} : {fr} (valeur reçue : {shown})")
            lines_en.append(f"{path}: {en} (got {shown})")
    more = error.error_count() - limit
    if more > 0:
        lines_fr.append(f"… et {more} autre(s) erreur(s)")
        lines_en.append(f"… and {more} more error(s)")
    return Text("\n".join(lines_fr), "\n".join(lines_en))


def field_path(loc: tuple[int | str, ...]) -> str:
    """history.2.consent.mechanism → history[2].mechanism (the union tag is not a field)."""
    out = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(previous, int) and part in EVENT_TYPES:
            pass  # the tag of the event's union, not a field
        else:
            out += f".{part}" if out else part
        previous = part
    return out or "case"


def _show(value: object) -> str:
    return shown(value)


_TYPE_NAMES = {
    "string_type": ("du texte", "text"),
    "bool_type": ("true ou false", "true or false"),
    "int_type": ("un entier", "an integer"),
    "list_type": ("une liste", "a list"),
    "tuple_type": ("une liste", "a list"),
    "dict_type": ("un objet (clé: valeur)", "a mapping (key: value)"),
    "model_type": ("un objet (clé: valeur)", "a mapping (key: value)"),
    "model_attributes_type": ("un objet (clé: valeur)", "a mapping (key: value)"),
}


def _describe(item: Any) -> tuple[str, str]:
    kind: str = item["type"]
    ctx: dict[str, Any] = item.get("ctx") or {}
    if kind in ("licite", OUT_OF_RANGE):
        return str(ctx["fr"]), str(ctx["en"])
    if kind == "missing":
        return "champ obligatoire absent", "required field is missing"
    if kind == "extra_forbidden":
        return "champ inconnu", "unknown field"
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        return f"valeur inconnue ; attendu : {expected}", f"unknown value; expected {expected}"
    if kind == "union_tag_invalid":
        expected = ", ".join(EVENT_TYPES)
        return (
            f"type d'événement inconnu ; attendu : {expected}",
            f"unknown event type; expected one of {expected}",
        )
    if kind == "union_tag_not_found":
        return "champ 'type' absent", "field 'type' is missing"
    if kind in _TYPE_NAMES:
        fr, en = _TYPE_NAMES[kind]
        return f"type invalide, attendu {fr}", f"wrong type, expected {en}"
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length", "?")
        return f"trop long (maximum {limit})", f"too long (at most {limit})"
    if kind in ("string_too_short", "too_short"):
        return "vide", "empty"
    return str(item.get("msg", kind)), str(item.get("msg", kind))
