"""The FastAPI application: routes, keys, problems, logs and metrics around the engine.

Nothing here decides: `/v1/decide` is `licite decide CASE --json`,
`/v1/people/{id}/decide` is `licite decide --person ID --campaign C`, writes are
the import's lines through the journal. Each thread of a process opens its own
ledger connection (SQLite connections stay in their thread); every replica
reads and writes the one store named by LICITE_DATABASE_URL.
"""

import json
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import FileResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from licite.case import Campaign, load_campaign, load_case
from licite.catalogue import in_force, laws
from licite.decision import Decision
from licite.engine import decide
from licite.errors import InvalidInput, LiciteError
from licite.explain import rule_row
from licite.i18n import Lang, Text
from licite.ledger.decide import decide_person
from licite.ledger.dossier import dossier
from licite.ledger.errors import UnknownPerson
from licite.ledger.ledger import Ledger
from licite.moments import parse_moment
from licite.service import campaigns, jobs, writes
from licite.service.config import Settings
from licite.service.handlers import install_errors
from licite.service.keys import ApiKey, Scope, authenticate
from licite.service.metrics import Metrics
from licite.service.models import (
    BatchBody,
    DecisionOut,
    EventsBody,
    PeopleBody,
    PersonDecideBody,
    ScrubBody,
    schemas,
)
from licite.service.observe import Observe
from licite.service.problems import ProblemError, kind_of, problem, responses


class Ledgers:
    """One ledger connection a thread, opened on first use, all closed at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Ledger] = []

    def get(self) -> Ledger:
        ledger: Ledger | None = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = Ledger.open(self.settings.database_url, environ=self.settings.environ)
            self._local.ledger = ledger
            with self._lock:
                self._opened.append(ledger)
        return ledger

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for ledger in opened:
            # A SQLite connection closes in its own thread only: it goes with its thread.
            with suppress(sqlite3.ProgrammingError):
                ledger.close()


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_environ()
    ledgers = Ledgers(settings)
    metrics = Metrics()
    scrubs = jobs.Jobs(settings.scrub_dir, settings.database_url, settings.lang)
    bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer lk_…`")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ledgers.close()

    app = FastAPI(
        lifespan=lifespan,
        title="licite",
        version="1",
        summary="May we contact this person, analyse their correspondence, keep their data?",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )

    def lang_of(request: Request) -> Lang:
        wanted = request.headers.get("accept-language", "")[:2].lower()
        return "en" if wanted == "en" else "fr" if wanted == "fr" else settings.lang

    def require(scope: Scope) -> Callable[..., Awaitable[ApiKey]]:
        async def check(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ) -> ApiKey:
            if credentials is None:
                raise ProblemError(
                    "unauthorized",
                    Text(
                        "Authorization : en-tête « Bearer CLÉ » attendu",
                        "Authorization: a 'Bearer KEY' header is expected",
                    ),
                    {"WWW-Authenticate": "Bearer"},
                )
            key = authenticate(ledgers.get(), credentials.credentials)
            if key is None:
                raise ProblemError(
                    "unauthorized",
                    Text(
                        "Authorization : clé inconnue ou révoquée",
                        "Authorization: unknown or revoked key",
                    ),
                    {"WWW-Authenticate": "Bearer"},
                )
            request.scope["licite.key"] = key.id
            if not key.allows(scope):
                raise ProblemError(
                    "forbidden",
                    Text(
                        f"Authorization : la clé {key.id} a la portée {key.scope!r},"
                        f" cette route demande {scope!r}",
                        f"Authorization: key {key.id} has scope {key.scope!r},"
                        f" this route needs {scope!r}",
                    ),
                )
            return key

        return check

    Read = Annotated[ApiKey, Depends(require("read"))]
    Write = Annotated[ApiKey, Depends(require("write"))]
    Admin = Annotated[ApiKey, Depends(require("admin"))]

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as error:
            raise ProblemError(
                "malformed-request",
                Text(
                    f"body : JSON illisible ({error})".replace("\n", " "),
                    f"body: unreadable JSON ({error})".replace("\n", " "),
                ),
            ) from None

    def decision_body(decision: Decision, lang: Lang) -> dict[str, Any]:
        metrics.decided(decision.allowed)
        return decision.to_dict(lang)

    # --- decisions --------------------------------------------------------------

    @app.post(
        "/v1/decide",
        tags=["decisions"],
        summary="Decide one case (SPEC §2) → the decision (SPEC §3)",
        responses={200: {"model": DecisionOut}, **responses("invalid-input", "not-modelled")},
        openapi_extra=_body_schema("Case"),
    )
    async def decide_case(request: Request, key: Read) -> Response:
        case = load_case(await body_of(request), name="case")
        return _json(decision_body(decide(case), lang_of(request)))

    @app.post(
        "/v1/decide/batch",
        tags=["decisions"],
        summary="Many cases, or many ledger people for one campaign → decisions in order",
        responses={
            200: {"description": "One result a case or person, in order"},
            **responses("invalid-input", "not-modelled", "too-large", "not-found"),
        },
    )
    def decide_batch(request: Request, body: BatchBody, key: Read) -> Response:
        lang = lang_of(request)
        items = body.cases if body.cases is not None else body.people
        if items is None or (body.cases is None) == (body.people is None):
            raise ProblemError(
                "invalid-input",
                Text(
                    "cases, people : donnez l'un des deux (people va avec campaign)",
                    "cases, people: give one of them (people goes with campaign)",
                ),
            )
        if len(items) > settings.batch_max:
            raise ProblemError(
                "too-large",
                Text(
                    f"{'cases' if body.cases is not None else 'people'} : {len(items)} éléments,"
                    f" au plus {settings.batch_max}",
                    f"{'cases' if body.cases is not None else 'people'}: {len(items)} items,"
                    f" at most {settings.batch_max}",
                ),
            )
        results: list[dict[str, Any]] = []
        if body.cases is not None:
            for index, data in enumerate(body.cases):
                results.append(_one(partial(_decide_case, data, f"cases[{index}]"), lang, metrics))
        else:
            campaign = _campaign(ledgers.get(), body.campaign)
            at = _at(body.at)
            ledger = ledgers.get()
            for index, person_id in enumerate(body.people or []):
                made = partial(_decide_person, ledger, person_id, campaign, at, f"people[{index}]")
                results.append(_one(made, lang, metrics))
        return _json({"results": results})

    @app.post(
        "/v1/people/{person_id}/decide",
        tags=["decisions"],
        summary="The ledger's person against a registered campaign, or one in the body",
        responses={
            200: {"model": DecisionOut},
            **responses("invalid-input", "not-modelled", "not-found"),
        },
    )
    def decide_ledger_person(
        request: Request, person_id: str, body: PersonDecideBody, key: Read
    ) -> Response:
        ledger = ledgers.get()
        campaign = _campaign(ledger, body.campaign)
        decision = _decide_person(ledger, person_id, campaign, _at(body.at), "person_id")
        return _json(decision_body(decision, lang_of(request)))

    # --- the ledger ---------------------------------------------------------------

    idempotency = Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="A retry with the same key and body is answered once, applied once.",
        ),
    ]

    @app.post(
        "/v1/people",
        tags=["ledger"],
        summary="Record people (id, kind, email, phone, postal code)",
        responses=responses("invalid-input", "idempotency-conflict"),
    )
    def add_people(body: PeopleBody, key: Write, idempotency_key: idempotency = None) -> Response:
        lines = [{**p, "type": "person"} for p in body.people]
        return _answer(
            writes.append(
                ledgers.get(), lines, key_id=key.id, idempotency_key=idempotency_key, kind="people"
            )
        )

    @app.post(
        "/v1/events",
        tags=["ledger"],
        summary="Record events (SPEC §2 history), with the proof of consent",
        responses=responses("invalid-input", "idempotency-conflict", "not-found"),
    )
    def add_events(body: EventsBody, key: Write, idempotency_key: idempotency = None) -> Response:
        for index, event in enumerate(body.events):
            if event.get("type") == "person":  # people are recorded by POST /v1/people
                raise ProblemError(
                    "invalid-input",
                    Text(
                        f"events[{index}].type : type d'événement inconnu"
                        " (valeur reçue : 'person')",
                        f"events[{index}].type: unknown event type (got 'person')",
                    ),
                )
        return _answer(
            writes.append(
                ledgers.get(),
                list(body.events),
                key_id=key.id,
                idempotency_key=idempotency_key,
                kind="events",
            )
        )

    @app.get(
        "/v1/people/{person_id}/dossier",
        tags=["ledger"],
        summary="A person's dossier: data, events, consent proofs, chain inclusion proof",
        responses=responses("not-found"),
    )
    def person_dossier(person_id: str, key: Admin) -> Response:
        return _json(dossier(ledgers.get(), person_id))

    # --- scrub jobs ---------------------------------------------------------------

    @app.post(
        "/v1/scrub",
        tags=["scrub"],
        status_code=202,
        summary="Start a scrub of a list (uploaded, or a server-side file) for a campaign",
        responses=responses("invalid-input", "not-found"),
    )
    def start_scrub(body: ScrubBody, key: Write) -> Response:
        stored = campaigns.get_campaign(ledgers.get(), body.campaign)
        status = scrubs.start(
            key_id=key.id,
            campaign=stored.document,
            contacts=body.contacts,
            file=body.file,
            at=_at(body.at),
        )
        return _json(status, 202, {"Location": f"/v1/scrub/{status['id']}"})

    @app.get(
        "/v1/scrub/{job_id}",
        tags=["scrub"],
        summary="A scrub job's state and outputs",
        responses=responses("not-found"),
    )
    def scrub_status(job_id: str, key: Write) -> Response:
        return _json(scrubs.status(job_id, key.id, key.scope == "admin"))

    @app.get(
        "/v1/scrub/{job_id}/outputs/{name}",
        tags=["scrub"],
        summary="Download one output of a finished job",
        responses={
            200: {
                "content": {m: {} for m in ("text/csv", "application/json", "text/html")},
                "description": "The file",
            },
            **responses("not-found"),
        },
    )
    def scrub_output(job_id: str, name: str, key: Write) -> Response:
        path = scrubs.output(job_id, name, key.id, key.scope == "admin")
        return FileResponse(path, media_type=jobs.media_type(name), filename=name)

    # --- catalogue and campaigns --------------------------------------------------

    @app.get(
        "/v1/rules",
        tags=["catalogue"],
        summary="The rule catalogue",
        responses=responses("invalid-input"),
    )
    def rules(request: Request, key: Read, as_of: date | None = None) -> Response:
        lang = lang_of(request)
        if as_of is None:
            rows = [rule_row(r, v, lang) for law in laws() for r in law.rules for v in r.versions]
        else:
            rows = [rule_row(r, v, lang) for r, v in in_force(as_of)]
        return _json(rows)

    @app.get("/v1/campaigns", tags=["catalogue"], summary="The registered campaigns")
    def list_campaigns(key: Read) -> Response:
        return _json([c.summary() for c in campaigns.list_campaigns(ledgers.get())])

    @app.get(
        "/v1/campaigns/{campaign_id}",
        tags=["catalogue"],
        summary="One campaign",
        responses=responses("not-found"),
    )
    def show_campaign(campaign_id: str, key: Read) -> Response:
        stored = campaigns.get_campaign(ledgers.get(), campaign_id)
        return _json({**stored.summary(), "document": stored.document})

    # --- operations ---------------------------------------------------------------

    @app.get("/healthz", tags=["operations"], summary="The process answers")
    async def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="The ledger can be read",
        responses={503: {"description": "The ledger cannot be read"}},
    )
    def readyz() -> Response:
        try:
            ledgers.get().store.read("SELECT event_seq FROM heads WHERE id = 1")
        except LiciteError:
            return _json({"status": "unavailable"}, 503)
        return _json({"status": "ready"})

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics of this process",
        responses={200: {"content": {"text/plain": {}}, "description": "Metrics"}},
    )
    async def metrics_route(key: Read) -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/openapi.json", tags=["operations"], summary="This API's OpenAPI description")
    async def openapi_route(key: Read) -> Response:
        return _json(app.openapi())

    _install_openapi(app)
    install_errors(app, lang_of)
    app.add_middleware(Observe, metrics=metrics, body_max=settings.body_max, lang=settings.lang)
    return app


def _one(make: Callable[[], Decision], lang: Lang, metrics: Metrics) -> dict[str, Any]:
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


def _campaign(ledger: Ledger, given: str | dict[str, Any] | None) -> Campaign:
    if given is None:
        raise InvalidInput(
            Text("campaign : champ obligatoire absent", "campaign: required field is missing")
        )
    if isinstance(given, str):
        return campaigns.get_campaign(ledger, given).campaign
    return load_campaign(given, name="campaign")


def _at(text: str | None) -> datetime | None:
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


def _answer(answer: writes.Answer) -> Response:
    headers = {"Idempotency-Replayed": "true"} if answer.replayed else None
    return _json(answer.body, answer.status, headers)


def _body_schema(name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    }


def _install_openapi(app: FastAPI) -> None:
    """FastAPI's document, plus the case and campaign schemas the raw-JSON routes read."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {}).setdefault("schemas", {}).update(schemas())
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
