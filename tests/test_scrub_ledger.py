"""The scrub on a real ledger, against `licite decide --person` for every contact."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from licite.case import load_campaign
from licite.ledger import Ledger, decide_person, import_file
from licite.ledger.erasure import erase
from licite.ledger.suppression import import_list
from licite.moments import parse_moment
from licite.scrub import narrow
from licite.scrub.run import scrub
from licite.synthetic import population
from tests.test_ledger_support import BACKENDS, environ, store_url, write_lines

CAMPAIGNS: dict[str, dict[str, Any]] = {
    "email": {
        "at": "2026-11-02T11:00:00+01:00",
        "sender": {"id": "shop"},
        "request": {
            "action": "contact",
            "channel": "email",
            "purpose": "commercial",
            "offer": "shoes",
        },
    },
    "call-2025": {
        "at": "2025-03-12T11:00:00+01:00",
        "sender": {"id": "shop"},
        "request": {
            "action": "contact",
            "channel": "phone_call",
            "purpose": "commercial",
            "offer": "bags",
        },
    },
    "call-2026": {
        "at": "2026-11-03T15:00:00+01:00",
        "sender": {"id": "shop"},
        "request": {
            "action": "contact",
            "channel": "phone_call",
            "purpose": "commercial",
            "offer": "shoes",
        },
    },
    "retain": {
        "at": "2026-11-02T11:00:00+01:00",
        "sender": {"id": "shop"},
        "request": {"action": "retain"},
    },
}


@pytest.fixture(params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    with store_url(request.param, tmp_path) as url:
        for name, value in environ(url, tmp_path).items():
            monkeypatch.setenv(name, value)
        people = list(population(300, seed=11))
        lines: list[dict[str, Any]] = []
        for p in people:
            lines.append(
                {
                    "type": "person",
                    "id": p.id,
                    **{k: v for k, v in p.person().items() if v is not None},
                }
            )
            lines.extend({"person": p.id, **event} for event in p.history)
        with Ledger.open(url) as ledger:
            report = import_file(ledger, write_lines(tmp_path / "ledger.jsonl", lines))
            assert not report.rejected
            phones = [p.phone for p in people if p.phone][::7]
            import_list(ledger, "bloctel", phones, parse_moment("2024-11-01"))
            import_list(ledger, "bloctel", phones[::2], parse_moment("2025-03-01"))
            erase(ledger, people[3].id, parse_moment("2026-01-05"))
        contacts = tmp_path / "contacts.csv"
        with contacts.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "kind", "email", "phone", "postal_code", "segment"])
            for index, p in enumerate(people):
                # some rows carry no id and are found by their address or number
                shown_id = "" if index % 5 == 0 else p.id
                writer.writerow(
                    [shown_id, p.kind, p.email or "", p.phone or "", p.postal_code or "", p.persona]
                )
        yield {"url": url, "people": people, "contacts": contacts, "tmp": tmp_path}


READINGS: dict[str, tuple[str, float]] = {
    "whole": ("NARROW_ROWS", 0),
    "by_index": ("NARROW_SHARE", 2.0),
}
"""How the scrub reads the ledger, and the setting of `licite.scrub.narrow` that makes it:
whole, or (a SQLite ledger) only the list's own rows by index, which these small ledgers
would never choose on their own."""


@pytest.fixture(params=sorted(READINGS))
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    read: str = request.param
    monkeypatch.setattr(narrow, *READINGS[read])
    return read


def _expected_read(world: dict[str, Any], reading: str) -> str:
    return reading if world["url"].startswith("sqlite:") else "whole"


@pytest.mark.parametrize("name", sorted(CAMPAIGNS))
def test_scrub_agrees_with_decide_person(world: dict[str, Any], name: str, reading: str) -> None:
    campaign_file = world["tmp"] / f"{name}.json"
    campaign_file.write_text(json.dumps(CAMPAIGNS[name]), encoding="utf-8")
    out = world["tmp"] / f"out-{name}"
    result = scrub(world["contacts"], campaign_file, out, database_url=world["url"])
    rows = _read(out / "allowed.csv", allowed=True) + _read(out / "blocked.csv", allowed=False)
    assert len(rows) == len(world["people"])
    campaign = load_campaign(CAMPAIGNS[name])
    by_email = {p.email: p.id for p in world["people"]}
    with Ledger.open(world["url"]) as ledger:
        for row in rows:
            person_id = row["id"] or by_email[row["email"]]
            alone = decide_person(ledger, person_id, campaign)
            assert row["allowed"] == alone.allowed, row
            assert (row["basis"] or None) == alone.basis, row
            assert set(filter(None, row["reasons"].split(";"))) == set(alone.codes), row
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["scrubbed"] == len(rows) == result.summary["counts"]["scrubbed"]
    assert summary["matched_in_ledger"] == len(rows)
    assert summary["ledger_read"] == _expected_read(world, reading)
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")


@pytest.mark.parametrize("name", ["call-2026", "retain"])
def test_a_list_of_a_few_of_the_ledgers_people_reads_only_theirs(
    world: dict[str, Any], name: str, reading: str
) -> None:
    # A third of the list: the histories are then those of the people asked for only.
    lines = world["contacts"].read_text(encoding="utf-8").splitlines()
    few = world["tmp"] / "few.csv"
    few.write_text("\n".join([lines[0], *lines[1::3]]) + "\n", encoding="utf-8")
    campaign_file = world["tmp"] / f"{name}.json"
    campaign_file.write_text(json.dumps(CAMPAIGNS[name]), encoding="utf-8")
    out = world["tmp"] / f"few-{name}"
    scrub(few, campaign_file, out, database_url=world["url"])
    rows = _read(out / "allowed.csv", allowed=True) + _read(out / "blocked.csv", allowed=False)
    assert len(rows) == len(lines[1::3])
    campaign = load_campaign(CAMPAIGNS[name])
    by_email = {p.email: p.id for p in world["people"]}
    with Ledger.open(world["url"]) as ledger:
        for row in rows:
            alone = decide_person(ledger, row["id"] or by_email[row["email"]], campaign)
            assert (row["allowed"], row["basis"] or None) == (alone.allowed, alone.basis), row
            assert set(filter(None, row["reasons"].split(";"))) == set(alone.codes), row


@pytest.mark.parametrize("name", ["call-2025", "call-2026"])
def test_a_short_list_read_by_index_gives_the_files_the_whole_ledger_gives(
    world: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some of the ledger's rows, a row whose id names nobody but whose address is someone's,
    # the erased person's address and number again (the erasure left their hashes: an
    # objection from 5 January 2026, or from the campaign's moment when that is earlier),
    # and ids and an address that SQL written carelessly would choke on.
    known = next(p for p in world["people"] if p.email)
    erased = world["people"][3]
    assert erased.email
    # Someone recorded again under a new id after the erasure: only the hashes it left
    # (the opposition marks) say that this address objected.
    with Ledger.open(world["url"]) as ledger:
        again = [{"type": "person", "id": "back-again", "kind": "consumer", "email": erased.email}]
        assert not import_file(ledger, write_lines(world["tmp"] / "again.jsonl", again)).rejected
    lines = world["contacts"].read_text(encoding="utf-8").splitlines()
    short = world["tmp"] / "short.csv"
    short.write_text(
        "\n".join(
            [
                lines[0],
                *lines[1::4],
                f"o'brien,consumer,{known.email},,75011,named-by-nobody",
                f",consumer,{erased.email},{erased.phone or ''},75011,erased-again",
                f"back-again,consumer,{erased.email},,75011,recorded-again",
                "x%';--,consumer,,0612345678,75011,odd-id",
                '"",consumer,quote\'@example.fr,,75011,odd-address',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    campaign_file = world["tmp"] / f"{name}.json"
    campaign_file.write_text(json.dumps(CAMPAIGNS[name]), encoding="utf-8")
    files = {}
    for read, setting in READINGS.items():
        with monkeypatch.context() as patched:
            patched.setattr(narrow, *setting)
            out = world["tmp"] / f"short-{name}-{read}"
            summary = scrub(short, campaign_file, out, database_url=world["url"]).summary
        assert summary["ledger_read"] == _expected_read(world, read)
        assert summary["counts"]["rejected"] == 0
        files[read] = {f: (out / f).read_bytes() for f in ("allowed.csv", "blocked.csv")}
    assert files["by_index"] == files["whole"]
    written = files["whole"]["allowed.csv"] + files["whole"]["blocked.csv"]
    assert b"named-by-nobody" in written
    for mark in (b"erased-again", b"recorded-again"):
        line = next(line for line in written.splitlines() if mark in line)
        # Even for the campaign dated 2025, before the erasure: the erasure counts whatever
        # the campaign's `at` (issue 13, finding 8).
        assert b"OBJECTED" in line, line


def _read(path: Path, *, allowed: bool) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["allowed"] = allowed
        row.setdefault("basis", "")
        row.setdefault("reasons", "")
    return rows
