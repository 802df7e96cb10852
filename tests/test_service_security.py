"""Every route but /healthz and /readyz refuses a missing key (401) and a key of the wrong
scope (403); a revoked key is refused at its next request; keys are stored hashed; the
logs of a run hold none of the test people's addresses or phone numbers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licite.service.keys import create_key, revoke_key
from licite.service.logs import redact
from tests.test_ledger_support import raw
from tests.test_service_support import Service, service

SCOPE_OF_ROUTE = {
    ("POST", "/v1/decide"): "read",
    ("POST", "/v1/decide/batch"): "read",
    ("POST", "/v1/people/{person_id}/decide"): "read",
    ("GET", "/v1/rules"): "read",
    ("GET", "/v1/campaigns"): "read",
    ("GET", "/v1/campaigns/{campaign_id}"): "read",
    ("GET", "/metrics"): "read",
    ("GET", "/openapi.json"): "read",
    ("POST", "/v1/people"): "write",
    ("POST", "/v1/events"): "write",
    ("POST", "/v1/scrub"): "write",
    ("GET", "/v1/scrub/{job_id}"): "write",
    ("GET", "/v1/scrub/{job_id}/outputs/{name}"): "write",
    ("GET", "/v1/people/{person_id}/dossier"): "admin",
    ("GET", "/v1/people/{person_id}/unsubscribe-headers"): "write",
    ("GET", "/v1/renewals"): "write",
    ("GET", "/v1/retention/due"): "write",
}
OPEN = {("GET", "/healthz"), ("GET", "/readyz")}
OPEN |= {("POST", "/v1/sms/inbound")}  # no API key: signed by the SMS gateway (test_person_sms)
WRONG = {"read": ("write",), "write": ("read",), "admin": ("read", "write")}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Service]:
    with service(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as running:
        yield running


def _routes(api: Service) -> list[tuple[str, str]]:
    """Every route the application serves, as its OpenAPI document lists them."""
    paths = api.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return [(method.upper(), path) for path in paths for method in paths[path]]


def _call(api: Service, method: str, path: str, headers: dict[str, str]) -> int:
    concrete = re.sub(r"\{[a-z_]+\}", "p1", path)
    body: dict[str, object] | None = {} if method == "POST" else None
    return api.client.request(method, concrete, json=body, headers=headers).status_code


def test_every_route_is_known_to_this_test(api: Service) -> None:
    """A new route must say here which scope it needs (or that it is open)."""
    assert set(_routes(api)) == set(SCOPE_OF_ROUTE) | OPEN


def test_missing_or_unknown_key_is_401_and_wrong_scope_403(api: Service) -> None:
    forged = api.keys["admin"][:-4] + "AAAA"  # the admin key's id, another secret
    for method, path in SCOPE_OF_ROUTE:
        assert _call(api, method, path, {}) == 401, (method, path)
        assert _call(api, method, path, {"Authorization": "Bearer nope"}) == 401, path
        assert _call(api, method, path, {"Authorization": f"Bearer {forged}"}) == 401, path
        assert _call(api, method, path, {"Authorization": f"Basic {api.keys['admin']}"}) == 401
        for scope in WRONG[SCOPE_OF_ROUTE[method, path]]:
            assert _call(api, method, path, api.headers(scope)) == 403, (method, path, scope)
        assert _call(api, method, path, api.headers("admin")) not in (401, 403), path


def test_health_and_readiness_need_no_key(api: Service) -> None:
    assert api.client.get("/healthz").status_code == 200
    assert api.client.get("/readyz").json() == {"status": "ready"}


def test_a_revoked_key_is_refused_at_its_next_request(api: Service) -> None:
    with api.ledger() as ledger:
        key, record = create_key(ledger, "read", "crm")
    headers = {"Authorization": f"Bearer {key}"}
    assert api.client.get("/v1/rules", headers=headers).status_code == 200
    with api.ledger() as other:  # another process's connection, as `licite keys revoke`
        revoke_key(other, record.id)
    refused = api.client.get("/v1/rules", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["type"] == "urn:licite:problem:unauthorized"


def test_keys_are_stored_as_hashes_only(api: Service) -> None:
    rows = raw(api.url, "SELECT * FROM api_keys")
    stored = json.dumps([list(map(str, row)) for row in rows])
    assert len(rows) == 3
    for key in api.keys.values():
        secret = key.split("_", 2)[2]
        assert secret not in stored
    with open(api.directory / "ledger.db", "rb") as handle:
        content = handle.read()
    assert not any(key.split("_", 2)[2].encode() in content for key in api.keys.values())


PEOPLE = [
    {
        "id": "a1",
        "kind": "consumer",
        "email": "Jeanne.Martin@Example.fr",
        "phone": "06 12 34 56 78",
    },
    {"id": "a2", "kind": "consumer", "email": "paul.durand@exemple.org", "phone": "+33698765432"},
]


def test_no_personal_data_in_the_logs(api: Service) -> None:
    assert api.post("/v1/people", {"people": PEOPLE}, scope="write").status_code == 200
    event = {
        "person": "a1",
        "at": "2025-01-02",
        "type": "consent",
        "channel": "email",
        "purpose": "commercial",
        "mechanism": "checkbox",
        "proof": {
            "wording_text": "Oui, écrivez à Jeanne.Martin@Example.fr",
            "ip": "192.0.2.44",
            "user_agent": "Mozilla/5.0",
        },
    }
    assert api.post("/v1/events", {"events": [event]}, scope="write").status_code == 200
    # Refusals whose problem details repeat the address and the number they were given.
    bad = {**PEOPLE[0], "id": "a3", "email": "not an address jeanne.martin@"}
    assert api.post("/v1/people", {"people": [bad]}, scope="write").status_code == 422
    case = {
        "at": "2025-03-01T10:00:00+01:00",
        "sender": {"id": "s", "kind": "company"},
        "request": {"action": "contact", "channel": "sms", "purpose": "commercial"},
        "person": {
            "kind": "consumer",
            "email": "paul durand@exemple.org",
            "phone": "06 98 76 54 32 99 99",
        },
    }
    assert api.post("/v1/decide", case, scope="read").status_code == 422
    case["person"] = {"kind": "consumer", "phone": "06 98 76 54 32"}
    assert api.post("/v1/decide", case, scope="read").status_code == 200
    assert api.client.get("/v1/people/a1/dossier", headers=api.headers()).status_code == 200
    assert (
        api.client.get(
            "/v1/people/paul.durand@exemple.org/dossier", headers=api.headers()
        ).status_code
        == 404
    )
    logs = api.logs.getvalue()
    assert logs.count('"msg": "request"') >= 7, logs
    lowered = logs.lower()
    for secret in (
        "jeanne.martin",
        "paul.durand",
        "exemple.org",
        "example.fr",
        "0612345678",
        "06 12 34 56 78",
        "612345678",
        "698765432",
        "98 76 54 32",
    ):
        assert secret not in lowered, secret
    for line in logs.splitlines():
        json.loads(line)  # structured: every line one JSON object


_LOCAL = st.from_regex(r"[a-z][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True)
_DOMAIN = st.from_regex(r"[a-z0-9-]{1,15}\.[a-z]{2,6}", fullmatch=True)


@given(local=_LOCAL, domain=_DOMAIN, before=st.text(max_size=20), after=st.text(max_size=20))
def test_redact_masks_every_email(local: str, domain: str, before: str, after: str) -> None:
    address = f"{local}@{domain}"
    assert address not in redact(f"{before} {address} {after}")


_DIGITS = st.lists(st.integers(0, 9), min_size=9, max_size=9).map(lambda d: "".join(map(str, d)))


@given(
    digits=_DIGITS, form=st.sampled_from(["0{}", "+33{}", "+33 {}", "0033{}"]), spaced=st.booleans()
)
def test_redact_masks_every_phone_form(digits: str, form: str, spaced: bool) -> None:
    number = form.format(digits)
    if spaced:
        number = number[:2] + " " + " ".join(number[i : i + 2] for i in range(2, len(number), 2))
    masked = redact(f'{{"detail": "phone: {number} refused"}}')
    assert digits not in masked.replace(" ", "")


def test_a_body_past_the_limit_is_refused_unread(tmp_path: Path) -> None:
    with service(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, body_max=4096) as api:
        big = {"people": [{"id": f"x{n}", "kind": "consumer"} for n in range(400)]}
        for path in ("/v1/decide", "/v1/people", "/v1/decide/batch"):
            refused = api.post(path, big)
            assert refused.status_code == 413, (path, refused.text)
            assert refused.json()["type"] == "urn:licite:problem:too-large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"people": ['
            for n in range(400):
                yield b'{"id": "y%d", "kind": "consumer"},' % n
            yield b'{"id": "z", "kind": "consumer"}]}'

        for path in ("/v1/decide", "/v1/people"):
            streamed = api.client.post(path, content=chunks(), headers=api.headers())
            assert streamed.status_code == 413, (path, streamed.text)
            assert streamed.json()["type"] == "urn:licite:problem:too-large"
        assert raw(api.url, "SELECT COUNT(*) FROM persons") == [(0,)]


def test_the_command_offers_the_scopes_the_keys_know() -> None:
    from licite.commands import service as commands
    from licite.service import keys

    assert commands.SCOPES == keys.SCOPES
