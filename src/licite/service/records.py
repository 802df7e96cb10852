"""The routes that write to the ledger and read a person's dossier.

Writes are the import's lines through the journal (`writes`), whole or not at
all, idempotent under an `Idempotency-Key`.
"""

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import Response

from licite.errors import ProblemError
from licite.i18n import Text
from licite.ledger.dossier import dossier
from licite.service import writes
from licite.service.context import Admin, Ctx, Write, as_json
from licite.service.models import EventsBody, PeopleBody
from licite.service.problems import responses

router = APIRouter(tags=["ledger"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="A retry with the same key and body is answered once, applied once.",
    ),
]


def _answer(answer: writes.Answer) -> Response:
    headers = {"Idempotency-Replayed": "true"} if answer.replayed else None
    return as_json(answer.body, answer.status, headers)


@router.post(
    "/v1/people",
    summary="Record people (id, kind, email, phone, postal code)",
    responses=responses("invalid-input", "idempotency-conflict"),
)
def add_people(
    body: PeopleBody, ctx: Ctx, key: Write, idempotency_key: IdempotencyKey = None
) -> Response:
    lines = [{**p, "type": "person"} for p in body.people]
    return _answer(
        writes.append(
            ctx.ledger(), lines, key_id=key.id, idempotency_key=idempotency_key, kind="people"
        )
    )


@router.post(
    "/v1/events",
    summary="Record events (SPEC §2 history), with the proof of consent",
    responses=responses("invalid-input", "idempotency-conflict", "not-found"),
)
def add_events(
    body: EventsBody, ctx: Ctx, key: Write, idempotency_key: IdempotencyKey = None
) -> Response:
    for index, event in enumerate(body.events):
        if event.get("type") == "person":  # people are recorded by POST /v1/people
            raise ProblemError(
                "invalid-input",
                Text(
                    f"events[{index}].type : type d'événement inconnu (valeur reçue : 'person')",
                    f"events[{index}].type: unknown event type (got 'person')",
                ),
            )
    return _answer(
        writes.append(
            ctx.ledger(),
            list(body.events),
            key_id=key.id,
            idempotency_key=idempotency_key,
            kind="events",
        )
    )


@router.get(
    "/v1/people/{person_id}/dossier",
    summary="A person's dossier: data, events, consent proofs, chain inclusion proof",
    responses=responses("not-found"),
)
def person_dossier(person_id: str, ctx: Ctx, key: Admin) -> Response:
    return as_json(dossier(ctx.ledger(), person_id))
