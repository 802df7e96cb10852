"""A cold `licite decide CASE --json` loads only what a decision needs (issue 14).

What it costs is measured by bench/cold_start.py (docs/benchmarks.md); here, what it
loads: neither the ledger, the scrub nor the service, nor their heavy libraries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _cached(*argv: str, cache: Path, **env: str) -> tuple[int, list[str], str]:
    return loaded_by(*argv, env={**os.environ, "LICITE_CACHE_DIR": str(cache), **env})


def test_a_phone_call_reads_the_calendars_from_the_cache(tmp_path: Path) -> None:
    """The first phone decision builds the year's calendars with `holidays` and keeps
    them; the next ones, in new processes, do not import the package (0.1 s)."""
    case = str(EXAMPLES / "phone-opt-in-2026.yaml")
    cache = tmp_path / "cache"
    _, first, answer = _cached("decide", case, "--json", cache=cache)
    assert "holidays" in first
    assert len(list(cache.glob("format-*/holidays-2026-*.json"))) == 1
    _, second, again = _cached("decide", case, "--json", cache=cache)
    assert "holidays" not in second
    assert again == answer
    _, off, unchanged = _cached("decide", case, "--json", cache=cache, LICITE_NO_CACHE="1")
    assert "holidays" in off
    assert unchanged == answer


def _law_entry(cache: Path, law: str) -> Path:
    (found,) = cache.glob(f"format-*/law-{law}-*.json")
    return found


def _rewritten(entry: Path, change: Callable[[Any], None]) -> None:
    """The entry with its law changed by `change` and a valid checksum, as a hostile or
    buggy writer with access to the folder could leave it."""
    import hashlib

    data = json.loads(entry.read_bytes().partition(b"\n")[2])
    change(data)
    body = json.dumps(data).encode()
    check = hashlib.sha256(entry.stem.encode() + b"\n" + body).hexdigest()
    entry.write_bytes(check.encode() + b"\n" + body)


def test_the_law_read_from_the_cache_is_checked_as_the_yaml_is(tmp_path: Path) -> None:
    case = str(EXAMPLES / "email-consumer-consent.yaml")
    cache = tmp_path / "cache"
    status, _, answer = _cached("decide", case, "--json", cache=cache)
    assert status == 0
    entry = _law_entry(cache, "consent")

    def unversioned(data: Any) -> None:
        for body in data["rules"].values():
            body["versions"] = []

    _rewritten(entry, unversioned)
    done = subprocess.run(
        [sys.executable, "-m", "licite", "decide", case, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "LICITE_CACHE_DIR": str(cache), "LICITE_LANG": "en"},
    )
    assert done.returncode == 70  # the catalogue's own error: the checks ran on the cache
    assert "no version" in done.stderr
    assert "Traceback" not in done.stderr

    entry.chmod(0o666)  # writable by others: not trusted, the YAML is read instead
    status, _, again = _cached("decide", case, "--json", cache=cache)
    assert status == 0
    assert again == answer


def test_a_corrupt_law_entry_is_read_again_from_the_yaml(tmp_path: Path) -> None:
    case = str(EXAMPLES / "email-consumer-consent.yaml")
    cache = tmp_path / "cache"
    _, _, answer = _cached("decide", case, "--json", cache=cache)
    entry = _law_entry(cache, "marketing")
    whole = entry.read_bytes()
    entry.write_bytes(whole[: len(whole) // 2])  # cut short, as by a full disk
    status, _, again = _cached("decide", case, "--json", cache=cache)
    assert status == 0
    assert again == answer
    assert _law_entry(cache, "marketing").read_bytes() == whole  # written again, whole


def test_the_command_freezes_what_is_left_when_it_ends() -> None:
    """`licite …` (main) freezes the objects alive at its end: the interpreter's shutdown
    does not search them for cycles; a decision in-process leaves the collector as it
    found it."""
    code = (
        "import gc, sys\n"
        "from licite.commands import main\n"
        f"sys.argv = ['licite', 'decide', {str(EXAMPLES / 'email-consumer-consent.yaml')!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    print(done.code, gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.split()[-3:] == ["0", "True", "True"]


@pytest.mark.parametrize("enabled", [True, False])
def test_a_decision_in_process_leaves_the_collector_as_it_was(enabled: bool) -> None:
    import gc

    from click.testing import CliRunner

    from licite.commands import cli

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        case = str(EXAMPLES / "email-consumer-consent.yaml")
        result = CliRunner().invoke(cli, ["decide", case, "--json"])
        assert result.exit_code == 0
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
