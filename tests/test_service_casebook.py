"""The public casebook through the API: `POST /v1/decide` answers, byte for byte in JSON,
what `licite decide CASE --json` answers, for every case — and the same problem type
where the command exits 2 (invalid input) or 3 (outside what is modelled)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.case import load_case
from licite.casebook import case_files
from licite.commands import cli
from licite.documents import read_document
from licite.engine import decide
from licite.errors import LiciteError
from licite.service.problems import kind_of
from tests.builders import EXAMPLES, SHARED_CASEBOOK
from tests.strategies import cases
from tests.test_service_support import Service, service

CASEBOOKS = [SHARED_CASEBOOK, SHARED_CASEBOOK.with_name("casebook-v2"), EXAMPLES]
CASES = [path for book in CASEBOOKS if book.is_dir() for path in case_files(book)]
PROBLEM_OF_EXIT = {2: "urn:licite:problem:invalid-input", 3: "urn:licite:problem:not-modelled"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("casebook")
    with service(f"sqlite:///{directory / 'ledger.db'}", directory) as running:
        yield running


@pytest.mark.skipif(not SHARED_CASEBOOK.is_dir(), reason="../shared/casebook is not here")
def test_the_public_casebook_is_here() -> None:
    # A clone without ../shared beside it still runs the shipped examples below.
    assert len(CASES) >= 25 + len(list(case_files(EXAMPLES)))


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_api_decides_each_case_as_the_command_does(api: Service, path: Path, lang: str) -> None:
    command = CliRunner().invoke(cli, ["--lang", lang, "decide", str(path), "--json"])
    try:
        document = read_document(path)
    except LiciteError:
        assert command.exit_code == 2
        return
    answer = api.post("/v1/decide", document, scope="read", **{"Accept-Language": lang})
    if command.exit_code == 0:
        assert answer.status_code == 200, answer.text
        assert answer.json() == json.loads(command.stdout)
    else:
        assert command.exit_code in PROBLEM_OF_EXIT, command.output
        assert answer.status_code == 422
        problem = answer.json()
        assert problem["type"] == PROBLEM_OF_EXIT[command.exit_code]
        assert answer.headers["content-type"] == "application/problem+json"
        # The command's message is the problem's detail, in the language asked for.
        assert problem["detail"] in command.stderr


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents=st.lists(cases(), min_size=1, max_size=4))
def test_api_decides_every_case_as_the_engine_does(api: Service, documents: list[Any]) -> None:
    """Beyond the casebook: any case, alone or in a batch, gets the decision the command
    prints (`decide(load_case(…)).to_dict`, through JSON), in the same order."""
    expected = []
    for document in documents:
        try:
            expected.append(
                {"decision": json.loads(json.dumps(decide(load_case(document)).to_dict("fr")))}
            )
        except LiciteError as error:
            expected.append({"problem": kind_of(error)})
    for document, wanted in zip(documents, expected, strict=True):
        answer = api.post("/v1/decide", document, scope="read")
        if "decision" in wanted:
            assert answer.status_code == 200 and answer.json() == wanted["decision"]
        else:
            assert answer.json()["type"].endswith(wanted["problem"])
    batch = api.post("/v1/decide/batch", {"cases": documents}, scope="read").json()["results"]
    for got, wanted in zip(batch, expected, strict=True):
        if "decision" in wanted:
            assert got == wanted
        else:
            assert got["problem"]["type"].endswith(wanted["problem"])
