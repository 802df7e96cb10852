"""The FastAPI application: the routes, the catalogue and operations, around the engine.

The routes live by what they do (`decisions`, `records`, `scrubs`); what they
share is a `context.Context` on `app.state`. Every failure is a problem
(`handlers`), every request is logged and counted (`observe`). Each replica
reads and writes the one store named by LICITE_DATABASE_URL.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from licite.catalogue import in_force, laws
from licite.errors import LiciteError
from licite.explain import rule_row
from licite.ledger.deliveries import report
from licite.retention import api as retention
from licite.service import (
    campaigns,
    dashboard,
    decisions,
    dpo_session,
    preferences,
    records,
    renewals,
    scrubs,
    sms,
    unsubscribe,
)
from licite.service.config import Settings
from licite.service.context import Context, Ctx, Read, as_json
from licite.service.handlers import install_errors
from licite.service.models import schemas
from licite.service.observe import Observe
from licite.service.person import PersonSide
from licite.service.problems import responses

catalogue = APIRouter(tags=["catalogue"])
operations = APIRouter(tags=["operations"])


@catalogue.get("/v1/rules", summary="The rule catalogue", responses=responses("invalid-input"))
def rules(request: Request, ctx: Ctx, key: Read, as_of: date | None = None) -> Response:
    lang = ctx.lang_of(request)
    if as_of is None:
        rows = [rule_row(r, v, lang) for law in laws() for r in law.rules for v in r.versions]
    else:
        rows = [rule_row(r, v, lang) for r, v in in_force(as_of)]
    return as_json(rows)


@catalogue.get("/v1/campaigns", summary="The registered campaigns")
def list_campaigns(ctx: Ctx, key: Read) -> Response:
    return as_json([c.summary() for c in campaigns.list_campaigns(ctx.ledger())])


@catalogue.get(
    "/v1/campaigns/{campaign_id}", summary="One campaign", responses=responses("not-found")
)
def show_campaign(campaign_id: str, ctx: Ctx, key: Read) -> Response:
    ledger = ctx.ledger()
    stored = campaigns.get_campaign(ledger, campaign_id)
    sent = report(ledger, campaign_id).get(campaign_id, {"delivered": 0, "refused": 0})
    return as_json({**stored.summary(), "document": stored.document, "gateway": sent})


@operations.get("/healthz", summary="The process answers")
async def healthz() -> Response:
    return as_json({"status": "ok"})


@operations.get(
    "/readyz",
    summary="The ledger can be read",
    responses={503: {"description": "The ledger cannot be read"}},
)
def readyz(ctx: Ctx) -> Response:
    try:
        ctx.ledger().store.read("SELECT event_seq FROM heads WHERE id = 1")
    except LiciteError:
        return as_json({"status": "unavailable"}, 503)
    return as_json({"status": "ready"})


@operations.get(
    "/metrics",
    summary="Prometheus metrics of this process",
    responses={200: {"content": {"text/plain": {}}, "description": "Metrics"}},
)
async def metrics(ctx: Ctx, key: Read) -> Response:
    return Response(ctx.metrics.render(), media_type="text/plain; version=0.0.4")


@operations.get("/openapi.json", summary="This API's OpenAPI description")
async def openapi(request: Request, key: Read) -> Response:
    return as_json(request.app.openapi())


def create_app(settings: Settings | None = None) -> FastAPI:
    context = Context.of(settings or Settings.from_environ())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        context.ledgers.close()

    app = FastAPI(
        lifespan=lifespan,
        title="licite",
        version="1",
        summary="May we contact this person, analyse their correspondence, keep their data?",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.licite = context
    app.state.licite_person = PersonSide.of(context.settings, context)
    # A request is matched against the routes in this order, each tried costing some CPU:
    # the routes that take bursts come first — decisions, then the person's side's one-click
    # unsubscribe and STOP webhook (issue 18). No two routes' paths overlap, so the order
    # changes nothing else.
    first = (decisions.router, unsubscribe.router, sms.router)
    rest = (records.router, scrubs.router, catalogue, operations)
    # The rest of the person's side: preferences, renewals, the DPO's dashboard and sign-in.
    person = (
        preferences.router,
        renewals.router,
        dashboard.router,
        dpo_session.router,
        retention.router,
    )
    for router in (*first, *rest, *person):
        app.include_router(router)
    _install_openapi(app)
    install_errors(app, context.lang_of)
    app.add_middleware(
        Observe,
        metrics=context.metrics,
        body_max=context.settings.body_max,
        lang=context.settings.lang,
    )
    return app


def _install_openapi(app: FastAPI) -> None:
    """FastAPI's document, plus the case and campaign schemas the raw-JSON routes read."""
    build = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            made = build()
            made.setdefault("components", {}).setdefault("schemas", {}).update(schemas())
            app.openapi_schema = made
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
