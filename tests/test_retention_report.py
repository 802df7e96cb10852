"""Issue 20: the report of a run says who was erased and why, who is kept only as a
suppression record, what ends within 90 days, and the counts per sender and code.

Checked against the engine's own answers on a small generated ledger (SQLite): every
count row of report.csv equals the number of answers with that sender and code, the
HTML names each erased person with the article and the clock's dates, and `--pdf`
writes a PDF (skipped where WeasyPrint cannot load, failing under CI=true).
"""

from __future__ import annotations

import csv
import os
import subprocess
from collections import Counter
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest

from licite.ledger import import_file
from licite.moments import parse_moment
from licite.retention import Plan
from licite.retention.sample import AT, POLITICAL, write_ledger_file
from licite.service.campaigns import add_campaign
from tests.faults_support import COMMAND, licite
from tests.pdf_support import require_pdf
from tests.test_ledger_support import environ, open_ledger, raw, run, store_url

PEOPLE = 120


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    with store_url("sqlite", tmp_path) as url:
        with open_ledger(url, tmp_path) as ledger:
            assert not import_file(
                ledger, write_ledger_file(tmp_path / "in.jsonl", PEOPLE)
            ).rejected
            add_campaign(ledger, POLITICAL)
        return environ(url, tmp_path)


def _folder(output: str) -> Path:
    return Path(output.splitlines()[0].rsplit(" — ", 1)[1].strip()).parent


def test_the_report_counts_what_the_engine_answered(env: dict[str, str], tmp_path: Path) -> None:
    at = parse_moment(AT)
    with open_ledger(env["LICITE_DATABASE_URL"], tmp_path) as ledger:
        verdicts = list(Plan(ledger, at).verdicts())
    answers = Counter((a.sender, a.code) for v in verdicts for a in v.answers)
    due = sorted(
        (v.person, a.sender)
        for v in verdicts
        for a in v.answers
        if a.code == "WITHIN-RETENTION" and a.expires_at and a.expires_at < at + timedelta(90)
    )
    erased = {v.person for v in verdicts if v.erase}
    kept_as_record = {v.person for v in verdicts if v.suppression_only}
    assert erased and due and kept_as_record

    done = run(["--lang", "en", "retention", "run", "--at", AT,
                "--report", str(tmp_path / "reports")], env)  # fmt: skip
    assert done.exit_code == 0, done.output
    folder = _folder(done.output)
    with (folder / "report.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    counts = {(r["senders"], r["code"]): int(r["moment"]) for r in rows if r["section"] == "count"}
    assert counts == dict(answers)
    assert sorted((r["person"], r["senders"]) for r in rows if r["section"] == "due") == due
    assert {r["person"] for r in rows if r["section"] == "erased"} == erased
    assert {r["person"] for r in rows if r["section"] == "suppression_record"} == kept_as_record
    for row in rows:
        if row["section"] == "erased" and row["code"] == "RETENTION-EXPIRED":
            assert row["clock_end"] and parse_moment(row["clock_end"]) <= at, row

    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'class="chart"' in html
    assert "CNIL" in html and "2021-131" in html  # the article of RETENTION-EXPIRED
    for person in sorted(erased)[:20]:
        assert f"<td>{person}</td>" in html
    assert "Kept only as a suppression record" in html and "within 90 days" in html


@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")  # this image's pango
def test_the_report_in_french_and_as_pdf(env: dict[str, str], tmp_path: Path) -> None:
    require_pdf()
    done = run(["--lang", "fr", "retention", "run", "--dry-run", "--at", AT, "--pdf",
                "--report", str(tmp_path / "reports")], env)  # fmt: skip
    assert done.exit_code == 0, done.output
    folder = _folder(done.output)
    assert folder.name.startswith("dry-run-")
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF-")
    html = unescape((folder / "report.html").read_text(encoding="utf-8"))
    assert "simulation (--dry-run) : rien n'a été effacé" in html
    assert "serai(en)t effacée(s)" in done.output


def test_a_bad_moment_is_named_not_a_traceback(env: dict[str, str], tmp_path: Path) -> None:
    reports = ["--report", str(tmp_path / "reports")]
    bad = run(["--lang", "en", "retention", "run", "--at", "2026-13-40", *reports], env)
    assert bad.exit_code == 2 and "--at" in bad.output and "2026-13-40" in bad.output
    early = run(["--lang", "en", "retention", "run", "--at", "1990-01-01", *reports], env)
    assert early.exit_code == 3 and "1990-01-01" in early.output and "2004-06-22" in early.output
    assert raw(env["LICITE_DATABASE_URL"], "SELECT COUNT(*) FROM retention_runs") == [(0,)]
    assert not (tmp_path / "reports").exists()


def test_progress_only_on_a_terminal(env: dict[str, str], tmp_path: Path) -> None:
    args = ["--lang", "en", "retention", "run", "--dry-run", "--at", AT,
            "--report", str(tmp_path / "reports")]  # fmt: skip
    controller, terminal = os.openpty()
    try:
        done = subprocess.run(
            [*COMMAND, *args], env=env, stdout=subprocess.PIPE, stderr=terminal, timeout=120,
            check=False,
        )  # fmt: skip
        os.close(terminal)
        shown = b""
        while chunk := _read(controller):
            shown += chunk
    finally:
        os.close(controller)
    assert done.returncode == 0
    assert f"{PEOPLE} examined".encode() in shown
    assert b"\xe2\x80\xa6" not in done.stdout  # the progress line (…) is on stderr only
    piped = licite(args, env)
    assert piped.returncode == 0 and "examined" not in piped.stderr, piped.stderr


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal's other end closed
        return b""
