"""A cold `licite decide CASE --json` loads only what a decision needs (issue 14).

What it costs is measured by bench/cold_start.py (docs/benchmarks.md); here, what it
loads: neither the ledger, the scrub nor the service, nor their heavy libraries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "src/licite/examples"
HEAVY = ("duckdb", "fastapi", "starlette", "uvicorn", "weasyprint", "cryptography", "psycopg")
OURS_NOT_NEEDED = ("licite.ledger", "licite.scrub", "licite.service", "licite.demo", "licite.pdf")

_RUN = """
import json, sys
from licite.commands import cli
try:
    cli(sys.argv[1:], standalone_mode=True)
except SystemExit as done:
    status = done.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_by(*argv: str, env: dict[str, str] | None = None) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, check=True, env=env
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["status"], report["modules"], done.stdout


@pytest.mark.parametrize(
    "case",
    ["email-consumer-consent.yaml", "phone-opt-in-2026.yaml", "retention-click-extends.yaml"],
)
def test_a_decision_loads_no_ledger_scrub_or_service(case: str) -> None:
    path = EXAMPLES / case
    status, modules, out = loaded_by("decide", str(path), "--json")
    assert status == 0
    assert "allowed" in json.loads(out)
    assert "licite.engine" in modules  # it did decide, in this process
    heavy = [m for m in modules if m.split(".")[0] in HEAVY]
    ours = [m for m in modules if m.startswith(OURS_NOT_NEEDED)]
    assert heavy == []
    assert ours == []


def test_a_french_number_does_not_load_phonenumbers(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(
        "at: 2026-11-02T11:00:00+01:00\n"
        "sender: {id: shop}\n"
        "request: {action: contact, channel: sms, purpose: commercial}\n"
        "person: {kind: consumer, phone: '06 12 34 56 78'}\n"
        "history: []\n"
    )
    status, modules, _ = loaded_by("decide", str(case), "--json")
    assert status == 0
    assert "licite.phones" in modules
    assert "phonenumbers" not in modules


def test_a_decision_on_the_ledger_still_finds_its_command(tmp_path: Path) -> None:
    """The ledger is loaded when a command needs it: `--person` where there is no ledger
    is exit 5 (no ledger at …), not an import error."""
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(
        "at: 2026-11-02T11:00:00+01:00\n"
        "sender: {id: shop}\n"
        "request: {action: contact, channel: email, purpose: commercial}\n"
    )
    env = {**os.environ, "LICITE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    status, modules, _ = loaded_by("decide", "--person", "p", "--campaign", str(campaign), env=env)
    assert status == 5
    assert "licite.ledger.ledger" in modules
    assert not (tmp_path / "none.db").exists()
