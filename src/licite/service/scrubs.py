"""The routes of scrub jobs: start one, follow it, download its outputs (`jobs`)."""

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from licite.service import campaigns
from licite.service.context import Ctx, Write, as_json
from licite.service.decisions import moment
from licite.service.jobs import media_type
from licite.service.models import ScrubBody
from licite.service.problems import responses

router = APIRouter(tags=["scrub"])


@router.post(
    "/v1/scrub",
    status_code=202,
    summary="Start a scrub of a list (uploaded, or a server-side file) for a campaign",
    responses=responses("invalid-input", "not-found"),
)
def start_scrub(body: ScrubBody, ctx: Ctx, key: Write) -> Response:
    stored = campaigns.get_campaign(ctx.ledger(), body.campaign)
    status = ctx.scrubs.start(
        key_id=key.id,
        campaign=stored.document,
        contacts=body.contacts,
        file=body.file,
        at=moment(body.at),
    )
    return as_json(status, 202, {"Location": f"/v1/scrub/{status['id']}"})


@router.get(
    "/v1/scrub/{job_id}",
    summary="A scrub job's state and outputs",
    responses=responses("not-found"),
)
def scrub_status(job_id: str, ctx: Ctx, key: Write) -> Response:
    return as_json(ctx.scrubs.status(job_id, key.id, key.scope == "admin"))


@router.get(
    "/v1/scrub/{job_id}/outputs/{name}",
    summary="Download one output of a finished job",
    responses={
        200: {
            "content": {m: {} for m in ("text/csv", "application/json", "text/html")},
            "description": "The file",
        },
        **responses("not-found"),
    },
)
def scrub_output(job_id: str, name: str, ctx: Ctx, key: Write) -> Response:
    path = ctx.scrubs.output(job_id, name, key.id, key.scope == "admin")
    return FileResponse(path, media_type=media_type(name), filename=name)
