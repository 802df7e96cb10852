"""The ledger through the API: atomic, proven appends; decisions from the ledger equal to
the command's; campaigns and keys from the command line; problems that name the field
and the value; a scrub job from upload to download."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from licite.commands import cli
from tests.test_ledger_support import environ, raw, run
from tests.test_service_support import Service, service

CAMPAIGN: dict[str, Any] = {
    "id": "spring-mail",
    "title": "Spring offers",
    "sender": {"id": "shop", "kind": "company"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "bikes"},
}
PEOPLE = [
    {"id": "p1", "kind": "consumer", "email": "anne@example.org", "postal_code": "75011"},
    {"id": "p2", "kind": "consumer", "email": "bruno@example.org"},
]
CONSENT = {
    "person": "p1",
    "at": "2025-01-10T09:30:00+01:00",
    "type": "consent",
    "channel": "email",
    "purpose": "commercial",
    "sender": "shop",
    "mechanism": "checkbox",
    "proof": {
        "wording_text": "J'accepte de recevoir les offres de Shop par email.",
        "form": "https://shop.example/inscription",
        "ip": "192.0.2.44",
        "user_agent": "Mozilla/5.0",
        "recorded_by": "crm",
    },
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Service]:
    with service(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as running:
        yield running


def _count(api: Service, table: str) -> int:
    return int(raw(api.url, f"SELECT COUNT(*) FROM {table}")[0][0])


def test_people_and_events_with_their_proof(api: Service) -> None:
    added = api.post("/v1/people", {"people": PEOPLE}, scope="write")
    assert added.json()["persons_added"] == 2
    recorded = api.post("/v1/events", {"events": [CONSENT]}, scope="write")
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["events_added"] == 1
    again = api.post("/v1/events", {"events": [CONSENT]}, scope="write")
    assert again.json()["events_added"] == 0 and again.json()["events_duplicate"] == 1
    dossier = api.client.get("/v1/people/p1/dossier", headers=api.headers()).json()
    (event,) = dossier["events"]
    text = json.dumps(event)
    assert CONSENT["proof"]["wording_text"] in text  # type: ignore[index]
    assert "192.0.2.0" in text and "192.0.2.44" not in text  # truncated before storage


def test_a_request_is_written_whole_or_not_at_all(api: Service) -> None:
    api.post("/v1/people", {"people": PEOPLE}, scope="write")
    before = _count(api, "events"), _count(api, "persons")
    good = {**CONSENT, "proof": None}
    del good["proof"]
    # One line invalid: nothing written, the problem names the line, the field, the value.
    bad = {**good, "at": "2025-01-11", "mechanism": "telepathy"}
    refused = api.post("/v1/events", {"events": [good, bad]}, scope="write")
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == "urn:licite:problem:invalid-input"
    assert problem["errors"][0]["field"].startswith("events[1].")
    assert "mechanism" in problem["errors"][0]["field"]
    assert "telepathy" in problem["errors"][0]["value"]
    # One event of a person the ledger does not hold: nothing written either.
    stranger = {**good, "person": "nobody"}
    missing = api.post("/v1/events", {"events": [good, stranger]}, scope="write")
    assert missing.status_code == 404
    assert "'nobody'" in missing.json()["details"]["en"]
    # A person id recorded with other data, beside a new person: neither written.
    other = [{"id": "p3", "kind": "consumer"}, {**PEOPLE[0], "email": "other@example.org"}]
    conflict = api.post("/v1/people", {"people": other}, scope="write")
    assert conflict.status_code == 422
    assert "'p1'" in conflict.json()["details"]["en"]
    # A person line slipped among events is not a way around POST /v1/people.
    sneaked = api.post(
        "/v1/events",
        {"events": [good, {"type": "person", "id": "p9", "kind": "consumer"}]},
        scope="write",
    )
    assert sneaked.status_code == 422
    assert sneaked.json()["errors"][0] == {
        "field": "events[1].type",
        "value": "'person'",
        "detail": sneaked.json()["errors"][0]["detail"],
    }
    assert (_count(api, "events"), _count(api, "persons")) == before


def test_problems_name_the_field_and_the_value(api: Service) -> None:
    case: dict[str, Any] = {
        "at": "1999-05-01T10:00:00+02:00",
        "sender": {"id": "shop", "kind": "company"},
        "request": {"action": "contact", "channel": "email", "purpose": "commercial"},
        "person": {"kind": "consumer", "email": "anne@example.org"},
    }
    early = api.post("/v1/decide", case, scope="read")
    assert early.status_code == 422
    assert early.json()["type"] == "urn:licite:problem:not-modelled"  # the CLI's exit 3
    wrong = api.post(
        "/v1/decide",
        {**case, "at": "2025-01-01", "request": {**case["request"], "channel": "pigeon"}},
        scope="read",
    )
    assert wrong.json()["type"] == "urn:licite:problem:invalid-input"
    (error,) = wrong.json()["errors"]
    assert error["field"] == "request.channel" and error["value"] == "'pigeon'"
    english = api.post(
        "/v1/decide",
        {**case, "at": "2025-01-01", "request": {**case["request"], "channel": "pigeon"}},
        scope="read",
        **{"Accept-Language": "en"},
    )
    assert english.json()["detail"] == english.json()["details"]["en"]
    assert wrong.json()["detail"] == wrong.json()["details"]["fr"]
    unreadable = api.client.post("/v1/decide", content=b"{nope", headers=api.headers("read"))
    assert unreadable.status_code == 400
    assert unreadable.headers["content-type"] == "application/problem+json"
    assert unreadable.json()["errors"][0]["field"] == "body"


def test_ledger_decisions_equal_the_command(api: Service, tmp_path: Path) -> None:
    api.post("/v1/people", {"people": PEOPLE}, scope="write")
    api.post("/v1/events", {"events": [CONSENT]}, scope="write")
    campaign_file = tmp_path / "campaign.yaml"
    campaign_file.write_text(yaml.safe_dump(CAMPAIGN))
    env = environ(api.url, api.directory)
    assert run(["campaigns", "add", str(campaign_file)], env).exit_code == 0
    at = "2025-03-03T10:00:00+01:00"
    for person in ("p1", "p2"):
        command = run(
            ["decide", "--person", person, "--campaign", str(campaign_file), "--at", at, "--json"],
            env,
        )
        expected = json.loads(command.stdout)
        by_name = api.post(
            f"/v1/people/{person}/decide", {"campaign": "spring-mail", "at": at}, scope="read"
        )
        in_body = api.post(
            f"/v1/people/{person}/decide", {"campaign": CAMPAIGN, "at": at}, scope="read"
        )
        assert by_name.json() == expected == in_body.json()
    assert expected["allowed"] is False and by_name.json()["case"] == "spring-mail"
    batch = api.post(
        "/v1/decide/batch",
        {"people": ["p2", "ghost", "p1"], "campaign": "spring-mail", "at": at},
        scope="read",
    ).json()["results"]
    assert [r.get("decision", {}).get("allowed") for r in batch] == [False, None, True]
    assert batch[1]["problem"]["type"] == "urn:licite:problem:not-found"
    assert batch[1]["problem"]["errors"][0]["field"] == "people[1]"
    assert batch[1]["problem"]["errors"][0]["value"] == "'ghost'"
    ghost = api.post("/v1/people/ghost/decide", {"campaign": "spring-mail"}, scope="read")
    assert ghost.status_code == 404
    assert ghost.json()["errors"][0] == {
        "field": "person_id",
        "value": "'ghost'",
        "detail": ghost.json()["errors"][0]["detail"],
    }
    unknown = api.post("/v1/people/p1/decide", {"campaign": "autumn"}, scope="read")
    assert unknown.status_code == 404 and "'autumn'" in unknown.json()["detail"]


def test_campaigns_and_keys_from_the_command_line(api: Service, tmp_path: Path) -> None:
    env = environ(api.url, api.directory)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(CAMPAIGN))
    assert "version 1" in run(["--lang", "en", "campaigns", "add", str(path)], env).stdout
    changed = {**CAMPAIGN, "title": "Spring offers, second wave"}
    path.write_text(yaml.safe_dump(changed))
    assert "version 2" in run(["--lang", "en", "campaigns", "add", str(path)], env).stdout
    assert "spring-mail  v2" in run(["campaigns", "list"], env).stdout
    shown = json.loads(run(["campaigns", "show", "spring-mail"], env).stdout)
    assert shown["document"]["title"] == "Spring offers, second wave"
    assert _count(api, "campaigns") == 2  # the first version is kept, not rewritten
    listed = api.client.get("/v1/campaigns", headers=api.headers("read")).json()
    assert [(c["id"], c["version"]) for c in listed] == [("spring-mail", 2)]
    path.write_text(yaml.safe_dump({k: v for k, v in CAMPAIGN.items() if k != "id"}))
    nameless = CliRunner().invoke(cli, ["campaigns", "add", str(path)], env=env)
    assert nameless.exit_code == 2 and "id" in nameless.output

    created = run(["keys", "create", "--scope", "read", "--name", "dialer"], env)
    key = created.stdout.strip()
    assert key.startswith("lk_")
    key_id = key.split("_")[1]
    assert api.client.get("/v1/rules", headers={"Authorization": f"Bearer {key}"}).is_success
    assert key_id in run(["keys", "list"], env).stdout
    assert run(["keys", "revoke", key_id], env).exit_code == 0
    assert (
        api.client.get("/v1/rules", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    )
    bad = CliRunner().invoke(cli, ["keys", "revoke", "nope"], env=env)
    assert bad.exit_code == 2


def test_a_scrub_job_from_upload_to_download(
    api: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environ(api.url, api.directory).items():
        monkeypatch.setenv(name, value)  # the scrub opens the ledger from the environment
    api.post("/v1/people", {"people": PEOPLE}, scope="write")
    api.post("/v1/events", {"events": [CONSENT]}, scope="write")
    env = environ(api.url, api.directory)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**CAMPAIGN, "at": "2025-03-03T10:00:00+01:00"}))
    run(["campaigns", "add", str(path)], env)
    contacts = (
        "id,kind,email,phone,postal_code\np1,consumer,anne@example.org,,\n"
        "p2,consumer,bruno@example.org,,\n"
    )
    started, second = (
        api.post("/v1/scrub", {"campaign": "spring-mail", "contacts": contacts}, scope="write")
        for _ in range(2)
    )
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "queued"
    job = started.json()["id"]
    deadline = time.monotonic() + 120
    for one in (job, second.json()["id"]):  # one at a time, both to the end
        while (status := api.client.get(f"/v1/scrub/{one}", headers=api.headers("write")).json())[
            "state"
        ] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert status["state"] == "done", status
    status = api.client.get(f"/v1/scrub/{job}", headers=api.headers("write")).json()
    assert status["progress"]
    summary = api.client.get(
        f"/v1/scrub/{job}/outputs/summary.json", headers=api.headers("write")
    ).json()
    assert summary["counts"]["allowed"] == 1 and summary["counts"]["blocked"] == 1
    # Another key does not see the job; a file outside the inputs directory is refused.
    with api.ledger() as ledger:
        from licite.service.keys import create_key

        other, _ = create_key(ledger, "write")
    hidden = api.client.get(f"/v1/scrub/{job}", headers={"Authorization": f"Bearer {other}"})
    assert hidden.status_code == 404
    outside = api.post(
        "/v1/scrub", {"campaign": "spring-mail", "file": "../../etc/passwd"}, scope="write"
    )
    assert outside.status_code == 422 and "file" in outside.json()["errors"][0]["field"]


def test_an_idempotency_claim_left_unanswered_is_taken_over(api: Service) -> None:
    """A process that stopped between its write and recording the answer leaves a claim
    without an answer: a retry is told to wait, then, once the claim is stale, applied."""
    api.post("/v1/people", {"people": PEOPLE}, scope="write")
    body = {"events": [CONSENT]}
    first = api.post("/v1/events", body, scope="write", **{"Idempotency-Key": "k-1"})
    assert first.status_code == 200 and first.json()["events_added"] == 1
    raw(api.url, "UPDATE idempotency SET status = NULL, response = NULL")  # the lost answer
    waiting = api.post("/v1/events", body, scope="write", **{"Idempotency-Key": "k-1"})
    assert waiting.status_code == 409
    raw(api.url, "UPDATE idempotency SET recorded_at_us = recorded_at_us - 61000000")
    taken = api.post("/v1/events", body, scope="write", **{"Idempotency-Key": "k-1"})
    assert taken.status_code == 200 and "idempotency-replayed" not in taken.headers
    assert taken.json()["events_added"] == 0 and taken.json()["events_duplicate"] == 1
    replayed = api.post("/v1/events", body, scope="write", **{"Idempotency-Key": "k-1"})
    assert replayed.headers["idempotency-replayed"] == "true"
    assert replayed.json() == taken.json()
    assert _count(api, "events") == 1
