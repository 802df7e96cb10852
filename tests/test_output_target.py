"""`scrub --out` and `demo --dir` never delete or replace what licite did not write.

Each test performs the attack of issue 13, finding 1, against the real command:
an output folder that is the working directory, a symbolic link, the ledger
itself, the list's own folder, a forged manifest, two runs at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from licite.demo import run_demo
from licite.errors import OutputInUse, OutputRefused
from licite.ledger import Ledger
from licite.scrub.run import scrub
from licite.target import MANIFEST, MARKER, locked

LICITE = Path(sys.executable).with_name("licite")
CAMPAIGN = {
    "id": "spring",
    "at": "2026-03-10T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"},
}
LIST = b"id,kind,email,phone,postal_code\n1,consumer,a@example.fr,,75011\n"
OUTPUTS = {
    "allowed.csv",
    "blocked.csv",
    "rejected.csv",
    "duplicates.csv",
    "summary.json",
    "report.html",
}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A working folder as a user has it: the ledger, its keys, the list, the campaign and
    a file of their own."""
    work = tmp_path / "work"
    work.mkdir()
    url = f"sqlite:///{work / 'ledger.db'}"
    monkeypatch.delenv("LICITE_KEY_DIR", raising=False)
    monkeypatch.setenv("LICITE_DATABASE_URL", url)
    with Ledger.open(url):
        pass
    (work / "contacts.csv").write_bytes(LIST)
    (work / "campaign.json").write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    (work / "notes.txt").write_text("mine", encoding="utf-8")
    yield {"work": work, "url": url, "tmp": tmp_path}


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` with its bytes (None for a folder or a link)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        shown = str(path.relative_to(root))
        out[shown] = None if path.is_dir() or path.is_symlink() else path.read_bytes()
    return out


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LICITE), *args], capture_output=True, text=True, check=False, cwd=cwd, timeout=120
    )


def scrub_cli(
    work: Path, out: str, *more: str, lang: str = "en"
) -> subprocess.CompletedProcess[str]:
    return cli(
        "--lang",
        lang,
        "scrub",
        str(work / "contacts.csv"),
        "--campaign",
        str(work / "campaign.json"),
        "--out",
        out,
        *more,
        cwd=work,
    )


def test_out_dot_in_a_folder_with_a_ledger_is_refused_and_nothing_is_touched(
    folder: dict[str, Any],
) -> None:
    work = folder["work"]
    before = snapshot(work)
    assert "ledger.db.keys/hmac.key" in before
    done = scrub_cli(work, ".")
    assert done.returncode == 73, done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(work) == before
    french = scrub_cli(work, ".", lang="fr")
    assert french.returncode == 73
    assert "contient ou recouvre" in french.stderr or "non vide" in french.stderr


def test_a_non_empty_folder_of_someone_else_is_refused(folder: dict[str, Any]) -> None:
    theirs = folder["tmp"] / "theirs"
    theirs.mkdir()
    (theirs / "allowed.csv").write_text("keep me", encoding="utf-8")
    before = snapshot(theirs)
    done = scrub_cli(folder["work"], str(theirs), "--overwrite")
    assert done.returncode == 73
    assert "not a licite output" in done.stderr
    assert snapshot(theirs) == before


@pytest.mark.parametrize("empty", [True, False])
def test_a_symbolic_link_is_not_followed(folder: dict[str, Any], empty: bool) -> None:
    elsewhere = folder["tmp"] / "elsewhere"
    elsewhere.mkdir()
    if not empty:
        (elsewhere / "precious.txt").write_text("keep me", encoding="utf-8")
    link = folder["tmp"] / "link"
    link.symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    done = scrub_cli(folder["work"], str(link), "--overwrite")
    assert done.returncode == 73
    assert "symbolic link" in done.stderr
    assert link.is_symlink() and snapshot(elsewhere) == before


def test_out_naming_the_ledger_file_or_its_keys_is_refused(folder: dict[str, Any]) -> None:
    work = folder["work"]
    before = snapshot(work)
    for out in ("ledger.db", "ledger.db.keys", str(work / "ledger.db.keys" / "sub")):
        done = scrub_cli(work, out, "--overwrite")
        assert done.returncode == 73, (out, done.stderr)
        assert "Traceback" not in done.stderr
    assert snapshot(work) == before
    assert (work / "ledger.db").is_file()


def test_out_in_the_folder_of_an_input_is_refused(folder: dict[str, Any]) -> None:
    # The list and campaign in a folder of their own, the ledger elsewhere.
    inputs = folder["tmp"] / "inputs"
    inputs.mkdir()
    for name in ("contacts.csv", "campaign.json"):
        (inputs / name).write_bytes((folder["work"] / name).read_bytes())
    before = snapshot(inputs)
    with pytest.raises(OutputRefused) as caught:
        scrub(inputs / "contacts.csv", inputs / "campaign.json", inputs, overwrite=True)
    assert "an input of this command" in caught.value.text.en
    assert "une entrée de cette commande" in caught.value.text.fr
    assert snapshot(inputs) == before


def test_overwrite_replaces_only_what_the_previous_output_listed(folder: dict[str, Any]) -> None:
    work = folder["work"]
    out = folder["tmp"] / "out"
    assert scrub_cli(work, str(out)).returncode == 0
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["licite"] == "scrub" and set(manifest["files"]) == OUTPUTS
    (out / "my-notes.txt").write_text("mine", encoding="utf-8")
    first = snapshot(out)
    again = scrub_cli(work, str(out))
    assert again.returncode == 73 and "--overwrite" in again.stderr
    assert snapshot(out) == first
    (work / "contacts.csv").write_bytes(LIST + b"2,consumer,b@example.fr,,75011\n")
    replaced = scrub_cli(work, str(out), "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert (out / "my-notes.txt").read_text(encoding="utf-8") == "mine"
    assert b"b@example.fr" in (out / "blocked.csv").read_bytes()
    assert {p.name for p in out.iterdir()} == OUTPUTS | {MANIFEST, "my-notes.txt"}


def test_a_forged_manifest_does_not_open_the_folder(folder: dict[str, Any]) -> None:
    out = folder["tmp"] / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me", encoding="utf-8")
    for forged in (
        {"licite": "scrub", "files": ["../work/ledger.db"]},
        {"licite": "demo", "files": ["precious.txt"]},
        {"files": ["precious.txt"]},
        ["precious.txt"],
    ):
        (out / MANIFEST).write_text(json.dumps(forged), encoding="utf-8")
        before = snapshot(folder["tmp"])
        done = scrub_cli(folder["work"], str(out), "--overwrite")
        assert done.returncode == 73, forged
        assert snapshot(folder["tmp"]) == before
    # Listed by a real manifest, but one of the outputs' names is not licite's file.
    (out / MANIFEST).write_text(
        json.dumps({"licite": "scrub", "files": ["precious.txt"]}), encoding="utf-8"
    )
    (out / "allowed.csv").write_text("theirs", encoding="utf-8")
    done = scrub_cli(folder["work"], str(out), "--overwrite")
    assert done.returncode == 73 and "not written by licite" in done.stderr
    assert (out / "allowed.csv").read_text(encoding="utf-8") == "theirs"


def test_a_second_run_on_a_folder_in_use_stops_with_its_own_status(
    folder: dict[str, Any],
) -> None:
    out = folder["tmp"] / "out"
    with locked(out):
        done = scrub_cli(folder["work"], str(out))
        assert done.returncode == 75, done.stderr
        assert "in use" in done.stderr
        french = scrub_cli(folder["work"], str(out), lang="fr")
        assert "en cours d'écriture" in french.stderr
        with pytest.raises(OutputInUse), locked(out):
            pass
    assert not out.exists()
    assert scrub_cli(folder["work"], str(out)).returncode == 0
    assert [p.name for p in out.parent.iterdir() if "licite-lock" in p.name] == []


def test_two_scrubs_at_once_one_waits_for_nothing_and_says_in_use(folder: dict[str, Any]) -> None:
    work = folder["work"]
    rows = b"".join(b"%d,consumer,p%d@example.fr,,75011\n" % (n, n) for n in range(150_000))
    (work / "contacts.csv").write_bytes(LIST.splitlines(keepends=True)[0] + rows)
    out = folder["tmp"] / "out"
    lock = out.parent / ".out.licite-lock"
    command = [
        str(LICITE),
        "scrub",
        str(work / "contacts.csv"),
        "--campaign",
        str(work / "campaign.json"),
        "--out",
        str(out),
    ]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    second = subprocess.run(
        [*command[:1], "--lang", "en", *command[1:]], capture_output=True, text=True, timeout=120
    )
    still_running = first.poll() is None
    _, first_errors = first.communicate(timeout=300)
    assert first.returncode == 0, first_errors
    if still_running:
        assert second.returncode == 75, second.stderr
        assert "in use" in second.stderr
    else:  # the first ended before the second looked: its output is then refused
        assert second.returncode == 73, second.stderr
    assert {p.name for p in out.iterdir()} == OUTPUTS | {MANIFEST}


def test_stale_work_folders_of_killed_runs_are_removed_only_if_theirs(
    folder: dict[str, Any],
) -> None:
    tmp = folder["tmp"]
    ours = []
    for kind in ("partial", "spill"):
        stale = tmp / f".out.{kind}-99999"
        stale.mkdir()
        (stale / MARKER).write_text(json.dumps({"for": "out"}), encoding="utf-8")
        (stale / "allowed.csv").write_text("someone@example.fr", encoding="utf-8")
        ours.append(stale)
    theirs = tmp / ".out.partial-12345"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("not licite's", encoding="utf-8")
    other = tmp / ".other.spill-1"
    other.mkdir()
    (other / MARKER).write_text(json.dumps({"for": "other"}), encoding="utf-8")
    assert scrub_cli(folder["work"], str(tmp / "out")).returncode == 0
    assert not any(p.exists() for p in ours)
    assert (theirs / "keep.txt").exists() and (other / MARKER).exists()


def test_demo_never_deletes_a_folder_it_did_not_write(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    target.mkdir()
    (target / "licite.db").write_text("a real ledger", encoding="utf-8")
    before = snapshot(target)
    done = cli("demo", "--people", "50", "--dir", str(target), "--overwrite", cwd=tmp_path)
    assert done.returncode == 73, done.stderr
    assert snapshot(target) == before


def test_demo_overwrites_only_its_own_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LICITE_KEY_DIR", raising=False)
    monkeypatch.setenv("LICITE_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    target = tmp_path / "demo"
    said: list[str] = []
    run_demo(target, people=60, casebook=None, lang="en", say=said.append)
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["licite"] == "demo" and manifest["complete"] is True
    (target / "mine.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputRefused):
        run_demo(target, people=60, casebook=None, lang="en", say=said.append)
    run_demo(target, people=60, casebook=None, lang="en", say=said.append, overwrite=True)
    assert (target / "mine.txt").read_text(encoding="utf-8") == "mine"
    assert (target / "newsletter-email" / "allowed.csv").is_file()
    left = {p.name for p in target.iterdir()}
    assert left <= {*manifest["files"], MANIFEST, "mine.txt"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".demo.")]
