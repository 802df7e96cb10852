"""`GET /v1/retention/due?within=60d`: the clocks that end soon, with the links to ask.

The same list as `licite retention due` (`licite.retention.due`): each WITHIN-RETENTION
answer of the engine whose end falls within the window, with the person's
preference-centre link for that sender. Agreeing there (`POST /p/{link}`, a consent by
a clear act) is the positive act that restarts the clock (SPEC 1.6; CNIL délib.
2021-131: ask once, and without an answer, delete). Behind a write key: it names people.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response

from licite.moments import PARIS
from licite.retention.due import due, with_links
from licite.service.context import Ctx, Write, as_json
from licite.service.person import Side
from licite.service.problems import responses
from licite.service.renewals import parse_within

router = APIRouter(tags=["retention"])


@router.get(
    "/v1/retention/due",
    summary="Retention clocks ending soon (CNIL délib. 2021-131), with preference-centre links",
    responses=responses("invalid-input"),
)
def retention_due(
    ctx: Ctx, side: Side, key: Write, within: str = "60d", sender: str | None = None
) -> Response:
    window = parse_within(within)
    found = due(ctx.ledger(), datetime.now(PARIS), window, sender)
    settings = side.settings
    rows = with_links(found, side.links_key, settings.public_url, settings.link_days)
    return as_json({"due": rows})
