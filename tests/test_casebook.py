"""The public casebook runs in `make test`, through the installed command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from licite.casebook import case_files, run_case
from tests.builders import EXAMPLES, SHARED_CASEBOOK

LICITE = Path(sys.executable).with_name("licite")
SPEC_CASES = Path(__file__).with_name("cases")


@pytest.mark.parametrize(
    "casebook", [SHARED_CASEBOOK, SHARED_CASEBOOK.with_name("casebook-v2")], ids=["v1", "v2"]
)
def test_public_casebook_passes_through_the_command(casebook: Path) -> None:
    if not casebook.is_dir():
        pytest.skip(f"../shared/{casebook.name} is not here")
    done = subprocess.run(
        [str(LICITE), "casebook", str(casebook)], capture_output=True, text=True, check=False
    )
    last = done.stdout.strip().splitlines()[-1]
    count = len(list(case_files(casebook)))
    assert last == f"{count} passed, 0 failed", done.stdout + done.stderr
    assert done.returncode == 0


def test_shipped_examples_pass() -> None:
    outcomes = [run_case(path) for path in case_files(EXAMPLES)]
    assert outcomes, "the package ships example cases"
    failures = [f"{o.path.name}: {o.detail}" for o in outcomes if not o.passed]
    assert not failures


def test_spec_cases_pass() -> None:
    """tests/cases: one case per rule boundary of SPEC §1, written from the spec alone."""
    outcomes = [run_case(path) for path in case_files(SPEC_CASES)]
    assert len(outcomes) >= 30
    failures = [f"{o.path.name}: {o.detail}" for o in outcomes if not o.passed]
    assert not failures


def test_a_wrong_expectation_fails_and_the_command_says_so(tmp_path: Path) -> None:
    source = EXAMPLES / "email-consumer-consent.yaml"
    text = source.read_text(encoding="utf-8").replace("basis: CONSENT", "basis: SOFT-OPT-IN")
    (tmp_path / "wrong.yaml").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [str(LICITE), "casebook", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stdout.strip().endswith("0 passed, 1 failed")
    assert "basis should be SOFT-OPT-IN" in done.stdout


def test_an_expected_error_status_passes(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "at: 2024-01-01\nsender: {id: s}\nrequest: {action: contact, channel: pigeon,"
        " purpose: commercial}\nperson: {kind: consumer}\nexpect: {error: 2}\n",
        encoding="utf-8",
    )
    (tmp_path / "early.yaml").write_text(
        "at: 2003-01-01\nsender: {id: s}\nrequest: {action: contact, channel: email,"
        " purpose: commercial}\nperson: {kind: consumer}\nexpect: {error: 3}\n",
        encoding="utf-8",
    )
    (tmp_path / "broken.yaml").write_text(
        "at: [2024-01-01\nsender: {id: s}\nexpect: {error: 2}\n", encoding="utf-8"
    )
    outcomes = [run_case(p) for p in case_files(tmp_path)]
    assert [o.passed for o in outcomes] == [True, True, True], [o.detail for o in outcomes]


def test_expected_warnings_and_obligations_must_appear(tmp_path: Path) -> None:
    # SPEC §4 (v2): `warnings` and `obligations` in `expect` must all appear.
    source = (SPEC_CASES / "phone-good-friday-strasbourg.yaml").read_text(encoding="utf-8")
    assert "warnings: [PHONE-LOCAL-HOLIDAY]" in source
    right = tmp_path / "right.yaml"
    right.write_text(source, encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        source.replace(
            "warnings: [PHONE-LOCAL-HOLIDAY]", "warnings: [WARN-PHONE-OPT-IN-AHEAD]"
        ).replace("obligations: [OBL-CALLER-ID]", "obligations: [OBL-ART14-INFORM]"),
        encoding="utf-8",
    )
    assert run_case(right).passed
    outcome = run_case(wrong)
    assert not outcome.passed
    assert "missing warnings ['WARN-PHONE-OPT-IN-AHEAD']" in outcome.detail
    assert "missing obligations ['OBL-ART14-INFORM']" in outcome.detail
