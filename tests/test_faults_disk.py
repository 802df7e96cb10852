"""A full disk: the import and the scrub say so (exit 74), and lose nothing.

A tmpfs of a few hundred kilobytes is mounted for each test and filled by a
file; the command then runs out of space half-way. Before the fix, SQLite's
own rollback after SQLITE_FULL made licite's ROLLBACK fail ("cannot rollback -
no transaction is active", exit 70), and the scrub reported a DuckDB IO Error
as a failed batch (exit 1).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from tests.faults_support import acknowledged, fill, licite, overwriting, small_disk
from tests.test_ledger_durability import numbered_lines
from tests.test_ledger_support import environ, raw, write_lines

DISK_FULL = 74


def _says_disk_full(stderr: str, lang: str) -> None:
    expected = "disk full" if lang == "en" else "disque plein"
    assert expected in stderr, stderr
    assert "rollback" not in stderr and "internal error" not in stderr, stderr


def test_import_on_a_full_disk_says_so_and_keeps_what_it_acknowledged(tmp_path: Path) -> None:
    with small_disk("12m") as disk:
        url = f"sqlite:///{disk / 'ledger.db'}"
        env = {**os.environ, **environ(url, tmp_path)}
        first = licite(["ledger", "import", str(write_lines(tmp_path / "a.jsonl", []))], env)
        assert first.returncode == 0, first.stderr
        lines = numbered_lines("f", 200, 30)
        path = write_lines(tmp_path / "big.jsonl", lines)
        fill(disk, leave=1_500_000)
        done = 0
        for lang in ("en", "fr"):  # the second run finds the disk full from its first batch
            args = ["--lang", lang, "ledger", "import", "--batch-lines", "100", str(path)]
            full = licite(args, env)
            assert full.returncode == DISK_FULL, full.stdout[-300:] + full.stderr
            _says_disk_full(full.stderr, lang)
            done = max(done, acknowledged(full.stdout))
            assert done > 0, "the disk filled before any batch: the test proves nothing"
            assert done < len(lines), "the disk never filled"
            sources = [s for (s,) in raw(url, "SELECT source FROM events")]
            assert len(sources) == len(set(sources)), "an event was recorded twice"
            wanted = {line["source"] for line in lines[:done] if "source" in line}
            assert wanted <= set(sources), f"acknowledged through line {done}, not all there"
        intact = licite(["ledger", "verify"], env)
        assert intact.returncode == 0, intact.stdout + intact.stderr
        # An erasure on the full disk says so and leaves the person whole, key included.
        fill(disk)
        erase = licite(["--lang", "en", "ledger", "erase", "--person", "f0"], env)
        assert erase.returncode == DISK_FULL, erase.stdout + erase.stderr
        _says_disk_full(erase.stderr, "en")
        assert raw(url, "SELECT COUNT(*) FROM person_keys WHERE person_id = 'f0'") == [(1,)]
        assert raw(url, "SELECT erased_at_us FROM persons WHERE id = 'f0'") == [(None,)]
        for extra in disk.glob("filler*"):
            extra.unlink()
        assert licite(["ledger", "erase", "--person", "f0"], env).returncode == 0
        again = licite(["ledger", "import", str(path)], env)
        assert again.returncode == 0, again.stderr
        events = sum("source" in line for line in lines)
        assert raw(url, "SELECT COUNT(source), COUNT(DISTINCT source) FROM events") == [
            (events, events)
        ]
        assert licite(["ledger", "verify"], env).returncode == 0


CAMPAIGN = {
    "at": "2026-11-02T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "x"},
}


def test_scrub_on_a_full_disk_says_so_and_leaves_the_last_output_whole(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    env = {**os.environ, **environ(url, tmp_path)}
    lines = numbered_lines("s", 100, 3)
    imported = licite(["ledger", "import", str(write_lines(tmp_path / "l.jsonl", lines))], env)
    assert imported.returncode == 0, imported.stderr
    campaign = tmp_path / "campaign.json"
    campaign.write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    contacts = tmp_path / "contacts.csv"
    with contacts.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "kind", "email", "phone", "postal_code"])
        for n in range(3000):
            writer.writerow([f"s{n % 100}", "consumer", f"s{n}@example.fr", "", "75011"])
    with small_disk("1m") as disk:
        out = disk / "out"
        scrub = ["scrub", str(contacts), "--campaign", str(campaign), "--out", str(out)]
        assert licite(scrub, env).returncode == 0
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        scrub += overwriting(env)
        filler = fill(disk, leave=32_000)
        for lang in ("en", "fr"):
            full = licite(["--lang", lang, *scrub], env)
            assert full.returncode == DISK_FULL, full.stdout + full.stderr
            _says_disk_full(full.stderr, lang)
            # The previous complete output is untouched, and no half-written one is left.
            assert {p.name: p.read_bytes() for p in out.iterdir()} == before
            left = sorted(p.name for p in disk.iterdir() if p.name not in ("filler", "out"))
            assert not [n for n in left if ".partial" in n or ".spill" in n], left
        filler.unlink()
        again = licite(scrub, env)
        assert again.returncode == 0, again.stderr
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["counts"]["rows"] == 3000
    assert licite(["ledger", "verify"], env).returncode == 0


def test_keys_first_written_on_a_full_disk_are_not_left_empty(tmp_path: Path) -> None:
    """The first run creates the keys; on a full disk it says so and leaves no empty key
    file (which would refuse every later run with "expected 64 hex digits")."""
    with small_disk("64k") as disk:
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        env = {**os.environ, "LICITE_DATABASE_URL": url, "LICITE_KEY_DIR": str(disk / "keys")}
        path = write_lines(tmp_path / "in.jsonl", numbered_lines("k", 3, 2))
        filler = fill(disk)
        full = licite(["--lang", "en", "ledger", "import", str(path)], env)
        assert full.returncode == DISK_FULL, full.stdout + full.stderr
        _says_disk_full(full.stderr, "en")
        assert str(disk / "keys") in full.stderr, full.stderr
        assert [p.name for p in (disk / "keys").iterdir()] == []
        filler.unlink()
        again = licite(["ledger", "import", str(path)], env)
        assert again.returncode == 0, again.stderr
        assert licite(["ledger", "verify"], env).returncode == 0
