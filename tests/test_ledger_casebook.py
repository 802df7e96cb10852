"""Must show: for every public case, the ledger's decision is the case file's decision.

Each case's person and history are imported into the ledger; its sender,
request and moment become a campaign; `licite decide --person … --campaign …
--json` must print exactly what `licite decide CASE --json` prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from licite.casebook import case_files
from licite.documents import read_document
from tests.test_ledger_support import BACKENDS, environ, run, store_url, write_lines

SHARED = Path(__file__).resolve().parents[2] / "shared" / "casebook"
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "licite" / "examples"
CASEBOOKS = [d for d in (SHARED, EXAMPLES) if d.is_dir()]
CASES = [p for d in CASEBOOKS for p in case_files(d)]


def ledger_lines(case: dict[str, Any], person_id: str) -> list[dict[str, Any]]:
    person = {"type": "person", **case["person"], "id": person_id}
    events = [{"person": person_id, **event} for event in case.get("history") or []]
    return [person, *events]


def campaign_of(case: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in case.items() if k in ("id", "at", "sender", "request")}


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    with store_url(request.param, tmp_path) as url:
        yield environ(url, tmp_path)


def test_there_are_cases() -> None:
    assert len(CASES) >= 20


def test_every_case_decides_the_same_from_the_ledger(env: dict[str, str], tmp_path: Path) -> None:
    lines: list[dict[str, Any]] = []
    expected: dict[str, tuple[Path, str]] = {}
    for number, path in enumerate(CASES):
        case = read_document(path)
        person_id = f"case-{number}"
        lines += ledger_lines(case, person_id)
        campaign = tmp_path / f"campaign-{number}.json"
        campaign.write_text(json.dumps(campaign_of(case)))
        direct = run(["decide", str(path), "--json"], env)
        assert direct.exit_code == 0, (path, direct.output)
        expected[person_id] = (campaign, direct.output)
    imported = run(["ledger", "import", str(write_lines(tmp_path / "all.jsonl", lines))], env)
    assert imported.exit_code == 0, imported.output
    for person_id, (campaign, direct_output) in expected.items():
        result = run(["decide", "--person", person_id, "--campaign", str(campaign), "--json"], env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == json.loads(direct_output), campaign
        assert result.output == direct_output
    assert run(["ledger", "verify"], env).exit_code == 0
