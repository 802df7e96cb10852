"""The routes that decide: one case, a batch, a person of the ledger.

Nothing here decides: `/v1/decide` is `licite decide CASE --json`,
`/v1/people/{id}/decide` is `licite decide --person ID --campaign C`.
"""

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from licite.case import Campaign, load_campaign, load_case
from licite.decision import Decision
from licite.engine import decide
from licite.errors import InvalidInput, LiciteError, ProblemError, UnknownPerson
from licite.i18n import Lang, Text
from licite.ledger.decide import decide_person
from licite.ledger.ledger import Ledger
from licite.moments import parse_moment
from licite.service import campaigns
from licite.service.context import Ctx, Read, as_json, body_of
from licite.service.metrics import Metrics
from licite.service.models import BatchBody, DecisionOut, PersonDecideBody
from licite.service.problems import kind_of, problem, responses

router = APIRouter(tags=["decisions"])


def case_body() -> dict[str, Any]:
    """The request body of /v1/decide in OpenAPI: SPEC §2's case (`models.schemas`)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}},
        }
    }


@router.post(
    "/v1/decide",
    summary="Decide one case (SPEC §2) → the decision (SPEC §3)",
    responses={200: {"model": DecisionOut}, **responses("invalid-input", "not-modelled")},
    openapi_extra=case_body(),
)
async def decide_case(request: Request, ctx: Ctx, key: Read) -> Response:
    decision = decide(load_case(await body_of(request), name="case"))
    ctx.metrics.decided(decision.allowed)
    return as_json(decision.to_dict(ctx.lang_of(request)))


@router.post(
    "/v1/decide/batch",
    summary="Many cases, or many ledger people for one campaign → decisions in order",
    responses={
        200: {"description": "One result a case or person, in order"},
        **responses("invalid-input", "not-modelled", "too-large", "not-found"),
    },
)
def decide_batch(request: Request, body: BatchBody, ctx: Ctx, key: Read) -> Response:
    lang = ctx.lang_of(request)
    items = body.cases if body.cases is not None else body.people
    if items is None or (body.cases is None) == (body.people is None):
        raise ProblemError(
            "invalid-input",
            Text(
                "cases, people : donnez l'un des deux (people va avec campaign)",
                "cases, people: give one of them (people goes with campaign)",
            ),
        )
    most = ctx.settings.batch_max
    if len(items) > most:
        field = "cases" if body.cases is not None else "people"
        raise ProblemError(
            "too-large",
            Text(
                f"{field} : {len(items)} éléments, au plus {most}",
                f"{field}: {len(items)} items, at most {most}",
            ),
        )
    results: list[dict[str, Any]] = []
    if body.cases is not None:
        for index, data in enumerate(body.cases):
            made = partial(_decide_case, data, f"cases[{index}]")
            results.append(_one(made, lang, ctx.metrics))
    else:
        ledger = ctx.ledger()
        campaign = campaign_of(ledger, body.campaign)
        at = moment(body.at)
        for index, person_id in enumerate(body.people or []):
            made = partial(_decide_person, ledger, person_id, campaign, at, f"people[{index}]")
            results.append(_one(made, lang, ctx.metrics))
    return as_json({"results": results})


@router.post(
    "/v1/people/{person_id}/decide",
    summary="The ledger's person against a registered campaign, or one in the body",
    responses={
        200: {"model": DecisionOut},
        **responses("invalid-input", "not-modelled", "not-found"),
    },
)
def decide_ledger_person(
    request: Request, person_id: str, body: PersonDecideBody, ctx: Ctx, key: Read
) -> Response:
    ledger = ctx.ledger()
    campaign = campaign_of(ledger, body.campaign)
    decision = _decide_person(ledger, person_id, campaign, moment(body.at), "person_id")
    ctx.metrics.decided(decision.allowed)
    return as_json(decision.to_dict(ctx.lang_of(request)))


def _one(make: Callable[[], Decision], lang: Lang, metrics: Metrics) -> dict[str, Any]:
    """One result of a batch: a decision, or the problem of that one item."""
    try:
        decision = make()
    except LiciteError as error:
        return {"problem": problem(kind_of(error), error.text, lang)}
    metrics.decided(decision.allowed)
    return {"decision": decision.to_dict(lang)}


def _decide_case(data: Any, name: str) -> Decision:
    return decide(load_case(data, name=name))


def _decide_person(
    ledger: Ledger, person_id: str, campaign: Campaign, at: datetime | None, field: str
) -> Decision:
    try:
        return decide_person(ledger, person_id, campaign, at)
    except UnknownPerson:
        raise ProblemError(
            "not-found",
            Text(
                f"{field} : aucune personne dans le registre (valeur reçue : {person_id!r})",
                f"{field}: no such person in the ledger (got {person_id!r})",
            ),
        ) from None


def campaign_of(ledger: Ledger, given: str | dict[str, Any] | None) -> Campaign:
    """A registered campaign named by its id, or one given in full."""
    if given is None:
        raise InvalidInput(
            Text("campaign : champ obligatoire absent", "campaign: required field is missing")
        )
    if isinstance(given, str):
        return campaigns.get_campaign(ledger, given).campaign
    return load_campaign(given, name="campaign")


def moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_moment(text)
    except (ValueError, OverflowError):
        raise InvalidInput(
            Text(
                f"at : date invalide (valeur reçue : {text!r})",
                f"at: invalid date (got {text!r})",
            )
        ) from None
