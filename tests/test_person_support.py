"""Shared helpers of the person's side tests (issue 18): a real ledger and application,
people and a campaign recorded through the API, links signed with the service's key."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from licite.ledger import Ledger
from licite.ledger.config import parse_url
from licite.service import Settings, create_app
from licite.service.campaigns import add_campaign
from licite.service.keys import create_key
from licite.service.links import links_key, make_link
from licite.service.logs import configure
from tests.test_ledger_support import environ

SMS_SECRET = "s3cret-of-the-gateway"
CAMPAIGN: dict[str, Any] = {
    "id": "winter-mail",
    "sender": {"id": "shop", "kind": "company"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "bikes"},
}
PEOPLE = [
    {"id": "p1", "kind": "consumer", "email": "anne@example.org", "phone": "06 12 34 56 78"},
    {"id": "p2", "kind": "consumer", "email": "bruno@example.org"},
]
CONSENTS = [
    {
        "person": "p1",
        "at": "2026-01-10T09:30:00+01:00",
        "type": "consent",
        "channel": channel,
        "purpose": "commercial",
        "sender": "shop",
        "mechanism": "checkbox",
        "proof": {"wording_text": f"J'accepte les offres de Shop par {channel}."},
    }
    for channel in ("email", "sms")
]


@dataclass
class Person:
    client: TestClient
    admin: str
    url: str
    directory: Path
    env: dict[str, str]
    logs: io.StringIO

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}

    def ledger(self) -> Ledger:
        return Ledger.open(self.url, environ=self.env)

    def token(self, person: str = "p1", sender: str = "shop", days: int = 30) -> str:
        key = links_key(parse_url(self.url), self.env)
        return make_link(key, person, sender, days=days, campaign="winter-mail").token

    def decide(self, person: str, channel: str) -> dict[str, Any]:
        campaign = {**CAMPAIGN, "request": {**CAMPAIGN["request"], "channel": channel}}
        del campaign["id"]
        answer = self.client.post(
            f"/v1/people/{person}/decide", json={"campaign": campaign}, headers=self.headers()
        )
        assert answer.status_code == 200, answer.text
        decided: dict[str, Any] = answer.json()
        return decided

    def events(self, person: str = "p1") -> list[dict[str, Any]]:
        answer = self.client.get(f"/v1/people/{person}/dossier", headers=self.headers())
        found: list[dict[str, Any]] = answer.json()["events"]
        return found


@contextmanager
def person_side(url: str, directory: Path, **extra: str) -> Iterator[Person]:
    env = {
        **environ(url, directory),
        "LICITE_SMS_SECRET": SMS_SECRET,
        "LICITE_PUBLIC_URL": "https://prefs.example",
        "LICITE_UNSUBSCRIBE_MAILTO": "unsubscribe@shop.example",
        **extra,
    }
    with Ledger.open(url, environ=env) as ledger:
        admin = create_key(ledger, "admin", "test admin")[0]
        add_campaign(ledger, CAMPAIGN)
    app = create_app(Settings(database_url=url, environ=env, scrub_dir=directory / "scrub"))
    logs = io.StringIO()
    configure("info", logs)
    with TestClient(app, raise_server_exceptions=False) as client:
        running = Person(client, admin, url, directory, env, logs)
        for path, body in (
            ("/v1/people", {"people": PEOPLE}),
            ("/v1/events", {"events": CONSENTS}),
        ):
            answer = client.post(path, json=body, headers=running.headers())
            assert answer.status_code in (200, 201), answer.text
        yield running
