"""When the store cannot be read, the service says so — 503 problems, /readyz not ready —
and never answers a decision it could not check a key for; it recovers by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_ledger_support import BACKENDS, raw, store_url
from tests.test_service_support import Service, service

CASE = {
    "at": "2025-03-01T10:00:00+01:00",
    "sender": {"id": "shop", "kind": "company"},
    "request": {"action": "contact", "channel": "post", "purpose": "commercial"},
    "person": {"kind": "consumer", "postal_code": "75011"},
}


@pytest.fixture(params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    with store_url(request.param, tmp_path) as url, service(url, tmp_path) as running:
        yield running


def test_a_store_that_cannot_be_read_is_503_then_recovers(api: Service) -> None:
    assert api.post("/v1/decide", CASE, scope="read").status_code == 200
    raw(api.url, "ALTER TABLE api_keys RENAME TO api_keys_away")
    try:
        refused = api.post("/v1/decide", CASE, scope="read")
        assert refused.status_code == 503
        assert refused.json()["type"] == "urn:licite:problem:unavailable"
        assert "Traceback" not in refused.text
        assert api.client.get("/healthz").status_code == 200
    finally:
        raw(api.url, "ALTER TABLE api_keys_away RENAME TO api_keys")
    assert api.post("/v1/decide", CASE, scope="read").status_code == 200
    raw(api.url, "ALTER TABLE heads RENAME TO heads_away")
    try:
        assert api.client.get("/readyz").status_code == 503
    finally:
        raw(api.url, "ALTER TABLE heads_away RENAME TO heads")
    assert api.client.get("/readyz").status_code == 200
