"""The shapes of the API's bodies, for validation and for /openapi.json.

Cases and campaigns are validated by `licite.case` itself (the one description
of SPEC §2), so the routes that take them read JSON and call it; their
schemas are published from the same pydantic models. People and event lines
are validated by the ledger's preparation, as an import's lines are.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from licite.case import Campaign, Case

_REF = "#/components/schemas/{model}"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CitationOut(BaseModel):
    code: str
    citation: str
    in_force_since: str
    message: str
    messages: dict[str, str]
    evidence: list[dict[str, Any]] | None = None


class DecisionOut(BaseModel):
    """SPEC §3."""

    case: str | None
    at: str
    allowed: bool
    basis: str | None
    reasons: list[CitationOut]
    obligations: list[CitationOut]
    warnings: list[CitationOut]
    expires_at: str | None


CampaignRef = Annotated[
    str | dict[str, Any],
    Field(description="A registered campaign's id, or a campaign (SPEC §2) in full."),
]
Moment = Annotated[
    str, Field(max_length=64, description="ISO 8601; default: the campaign's, else now.")
]


class BatchBody(_Body):
    cases: Annotated[list[dict[str, Any]], Field(min_length=1)] | None = None
    people: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1)]
        | None
    ) = None
    campaign: CampaignRef | None = None
    at: Moment | None = None


class PersonDecideBody(_Body):
    campaign: CampaignRef
    at: Moment | None = None


class PeopleBody(_Body):
    people: Annotated[
        list[dict[str, Any]],
        Field(min_length=1, max_length=10_000, description="{id, kind, email, phone, postal_code}"),
    ]


class EventsBody(_Body):
    events: Annotated[
        list[dict[str, Any]],
        Field(
            min_length=1,
            max_length=10_000,
            description="{person, at, type, …SPEC §2 fields, proof: {wording_text, form, ip,"
            " user_agent, recorded_by}}",
        ),
    ]


class ScrubBody(_Body):
    campaign: Annotated[str, Field(min_length=1, max_length=200)]
    contacts: Annotated[str, Field(max_length=50_000_000)] | None = Field(
        default=None, description="The list as CSV: id,kind,email,phone,postal_code"
    )
    file: Annotated[str, Field(min_length=1, max_length=255)] | None = Field(
        default=None, description="Or the name of a file in the server's inputs directory"
    )
    at: Moment | None = None


def schemas() -> dict[str, Any]:
    """Case and Campaign with every model they use, as OpenAPI components."""
    found: dict[str, Any] = {}
    for model in (Case, Campaign):
        schema = model.model_json_schema(ref_template=_REF)
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found
