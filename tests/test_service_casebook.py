"""The public casebook through the API: `POST /v1/decide` answers, byte for byte in JSON,
what `licite decide CASE --json` answers, for every case — and the same problem type
where the command exits 2 (invalid input) or 3 (outside what is modelled)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from licite.casebook import case_files
from licite.cli import cli
from licite.documents import read_document
from licite.errors import LiciteError
from tests.builders import EXAMPLES, SHARED_CASEBOOK
from tests.test_service_support import Service, service

CASEBOOKS = [SHARED_CASEBOOK, SHARED_CASEBOOK.with_name("casebook-v2"), EXAMPLES]
CASES = [path for book in CASEBOOKS if book.is_dir() for path in case_files(book)]
PROBLEM_OF_EXIT = {2: "urn:licite:problem:invalid-input", 3: "urn:licite:problem:not-modelled"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("casebook")
    with service(f"sqlite:///{directory / 'ledger.db'}", directory) as running:
        yield running


def test_the_public_casebook_is_here() -> None:
    assert SHARED_CASEBOOK.is_dir(), "../shared/casebook is where the public cases are"
    assert len(CASES) >= 25


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
