"""A large import prepared by a helper process records exactly what the importer alone
would; killing the importer kills its helper and loses nothing acknowledged; a v2
store is upgraded to v3 in place."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from licite.ledger import Tampered, import_file, verify
from licite.ledger.schema import LATEST
from tests.test_ledger_durability import acknowledged, numbered_lines
from tests.test_ledger_support import (
    BACKENDS,
    environ,
    event_line,
    open_ledger,
    person_line,
    raw,
    store_url,
    write_lines,
)

# Everything an import line can be: people, events of every shape, consent proofs with
# evidence (sealed by the importer with keys it reads), re-imported duplicates, and bad lines.
LINES: list[dict[str, Any] | str] = [
    person_line("a"),
    person_line("b", email="b@example.fr", phone=None, postal_code=None),
    event_line("a", "2024-06-01", "collected", method="form", purpose="commercial"),
    event_line(
        "a",
        "2024-06-01T10:00:00+02:00",
        "consent",
        channel="email",
        purpose="commercial",
        mechanism="checkbox",
        proof={"wording_text": "Oui.", "form": "f", "ip": "192.0.2.7", "user_agent": "UA"},
    ),
    event_line("b", "2024-06-02T09:30:00Z", "customer", products=[" Shoes "]),
    "{not json",
    event_line("ghost", "2024-06-03", "interaction", kind="open"),
    event_line("a", "2024-06-01T10:00:00+02:00", "interaction", kind="click"),
    event_line("a", "2024-06-01T10:00:00+02:00", "interaction", kind="click"),
    event_line("b", "2024-07-01", "objection", channel="all", via="form"),
    person_line("a", email="other@example.fr"),
    event_line("b", "2024-07-02", "consent", mechanism="bogus"),
    event_line("a", "2024-07-03", "consent", proof={"ip": "not an ip"}),
    event_line("c", "2024-07-04", "consent", proof={"user_agent": "UA"}),
    person_line("c"),
    event_line("b", "2024-07-05T12:00:00-00:00", "interaction", kind="reply"),
    event_line("zed", "2024-07-06", "consent", proof={"ip": "192.0.2.9"}),
]
FACTS = (
    "person_id, at_us, at_text, type, sender, channel, purpose, method, mechanism, kind,"
    " via, products, wording, informed, proof_form, proof_wording, content_hash,"
    " proof_evidence IS NOT NULL"
)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        yield located


def imported(backend: str, directory: Path, helpers: int) -> tuple[Any, list[tuple[Any, ...]]]:
    """Import LINES three times over into a new store (with the same keys each time)."""
    (directory / str(helpers)).mkdir()
    path = write_lines(directory / "in.jsonl", LINES * 3)
    with (
        store_url(backend, directory / str(helpers)) as url,
        open_ledger(url, directory) as ledger,
    ):
        report = import_file(ledger, path, batch_lines=4, helpers=helpers)
        assert verify(ledger).events == report.events_added
        return report, raw(url, f"SELECT {FACTS} FROM events ORDER BY seq")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_helper_prepares_what_the_importer_would(backend: str, tmp_path: Path) -> None:
    alone, alone_rows = imported(backend, tmp_path, 0)
    helped, helped_rows = imported(backend, tmp_path, 1)
    assert helped == alone
    assert helped_rows == alone_rows
    assert (alone.events_added, alone.events_duplicate) == (7, 1 + 8 + 8)
    first = [line for line, _ in alone.rejected if line <= len(LINES)]
    assert sorted(first) == [6, 7, 11, 12, 13, 17]
    assert len(alone.rejected) == 3 * len(first)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the helper")
def test_killing_the_importer_stops_its_helper_and_keeps_what_it_acknowledged(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    env = {**os.environ, **environ(url, tmp_path)}
    lines = numbered_lines("k", 300, 40)
    path = write_lines(tmp_path / "big.jsonl", lines)
    source_line = {line["source"]: n for n, line in enumerate(lines, 1) if "source" in line}
    script = (
        "import sys; from pathlib import Path; from licite.ledger import Ledger, import_file\n"
        "with Ledger.open() as ledger:\n"
        "    import_file(ledger, Path(sys.argv[1]), batch_lines=500, helpers=1,\n"
        "        acknowledge=lambda n, r: print('committed through line', n, flush=True))\n"
    )
    best = 0
    for kill in range(5):
        importer = subprocess.Popen(
            [sys.executable, "-c", script, str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert importer.stdout is not None
        first = importer.stdout.readline()
        helpers = _children(importer.pid)
        time.sleep(0.1 * kill)
        importer.send_signal(signal.SIGKILL)
        output, _ = importer.communicate()
        best = max(best, acknowledged(first + output))
        for pid in helpers:
            _wait_gone(pid)
        sources = [s for (s,) in raw(url, "SELECT source FROM events")]
        assert len(sources) == len(set(sources)), "an event was recorded twice"
        missing = [s for s, n in source_line.items() if n <= best and s not in set(sources)]
        assert not missing, f"acknowledged through line {best}, yet {missing[:3]} are missing"
    assert best > 0
    with open_ledger(url, tmp_path) as ledger:
        import_file(ledger, path, helpers=1)
        assert verify(ledger).events == len(source_line)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state == "Z":
            return
        time.sleep(0.05)
    pytest.fail(f"helper process {pid} outlived the importer")


def test_a_v2_store_is_upgraded_to_v3_in_place(url: str, tmp_path: Path) -> None:
    lines = [person_line("p1"), person_line("p2", email="b@example.fr")]
    lines += [
        event_line(f"p{1 + i % 2}", f"2024-06-{1 + i:02d}", "interaction", kind="click")
        for i in range(6)
    ]
    path = write_lines(tmp_path / "in.jsonl", lines)
    with open_ledger(url, tmp_path, schema_target=2) as old:
        import_file(old, path)
    everything = "SELECT * FROM events ORDER BY seq"
    before = raw(url, everything)
    with open_ledger(url, tmp_path) as upgraded:
        assert raw(url, "SELECT MAX(version) FROM schema_version") == [(LATEST,)]
        # v4 adds each event's rank among its person's at the same instant: none share one.
        assert raw(url, everything) == [(*row, 0) for row in before]
        assert verify(upgraded).events == 6
        again = import_file(upgraded, path)
        assert (again.events_added, again.events_duplicate) == (0, 6)
    # The same event twice is refused by the store itself, not only by the journal.
    duplicate = (
        "INSERT INTO events SELECT 99, person_id, at_us, at_text, type, sender, channel,"
        " purpose, method, mechanism, processing, kind, outcome, via, object, products, source,"
        " wording, informed, informed_at_us, informed_at_text, terms_forbid_reuse,"
        " opt_out_offered, partner_consent, partners_named, consent_proof, outside_hours,"
        " proof_form, proof_wording, proof_recorded_by, proof_evidence, content_hash,"
        " recorded_at_us, prev_hash, hash, tie FROM events WHERE seq = 1"
    )
    with pytest.raises(Exception, match=r"(?i)unique"):
        raw(url, duplicate)
    with open_ledger(url, tmp_path) as ledger, pytest.raises(Tampered):
        raw(url, "UPDATE events SET kind = 'open' WHERE seq = 2")
        verify(ledger)
