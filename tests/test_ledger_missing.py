"""Issue 13, finding 2: a read command where there is no ledger says so and creates nothing.

Before, `licite ledger verify` on a mistyped path created an empty ledger (and its
key folder) and said "intact", exit 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from licite.errors import KeyProblem, NoLedger
from licite.ledger import Ledger
from tests.test_ledger_support import (
    environ,
    open_ledger,
    person_line,
    postgres_schema,
    raw,
    run,
    write_lines,
)

READ_COMMANDS = [
    ["ledger", "verify"],
    ["ledger", "history", "--person", "p1"],
    ["ledger", "export", "--person", "p1"],
    ["ledger", "checkpoint", "export", "{dir}/out.json"],
    ["ledger", "witness", "--to", "{dir}/w.witness"],
    ["ledger", "erase", "--person", "p1"],
    ["decide", "--person", "p1", "--campaign", "{dir}/campaign.yaml"],
]


def _campaign(directory: Path) -> None:
    (directory / "campaign.yaml").write_text(
        "at: 2025-01-01T10:00:00+01:00\nsender: {id: shop, kind: company}\n"
        "request: {action: contact, channel: email, purpose: commercial}\n"
    )


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_read_command_on_a_missing_sqlite_path_creates_nothing(
    command: list[str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _campaign(work)
    before = sorted(p.name for p in work.iterdir())
    url = f"sqlite:///{work / 'typo.db'}"
    env = {"LICITE_DATABASE_URL": url}  # the keys would go beside the database
    args = [part.format(dir=work) for part in command]
    for lang, expected in (("en", "no ledger at"), ("fr", "aucun registre à")):
        result = run(["--lang", lang, *args], env)
        assert result.exit_code == NoLedger.exit_status, result.output
        assert f"licite: {expected} {url}" in result.output
        assert "Traceback" not in result.output
    assert sorted(p.name for p in work.iterdir()) == before


def test_an_empty_file_or_another_database_is_no_ledger_and_stays_as_it_was(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run(
        ["--lang", "en", "ledger", "verify"], {"LICITE_DATABASE_URL": f"sqlite:///{empty}"}
    )
    assert result.exit_code == NoLedger.exit_status and "no ledger at" in result.output
    assert empty.stat().st_size == 0
    other = tmp_path / "other.db"
    raw(f"sqlite:///{other}", "CREATE TABLE notes (text TEXT)")
    content = other.read_bytes()
    result = run(
        ["--lang", "en", "ledger", "verify"], {"LICITE_DATABASE_URL": f"sqlite:///{other}"}
    )
    assert result.exit_code == NoLedger.exit_status and "no ledger at" in result.output
    assert other.read_bytes() == content
    assert not (tmp_path / "other.db.keys").exists()
    text = tmp_path / "text.db"
    text.write_text("not a database at all, just some text of a decent length\n" * 100)
    result = run(["--lang", "en", "ledger", "verify"], {"LICITE_DATABASE_URL": f"sqlite:///{text}"})
    assert result.exit_code == NoLedger.exit_status and "no ledger at" in result.output


def test_a_read_command_on_an_empty_postgresql_schema_creates_nothing(tmp_path: Path) -> None:
    with postgres_schema() as url:
        env = environ(url, tmp_path)
        for lang, expected in (("en", "no ledger at"), ("fr", "aucun registre à")):
            result = run(["--lang", lang, "ledger", "verify"], env)
            assert result.exit_code == NoLedger.exit_status, result.output
            assert expected in result.output
        tables = raw(
            url,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        assert tables == [(0,)]
        assert not (tmp_path / "keys").exists()


def test_a_postgresql_password_is_not_shown(tmp_path: Path) -> None:
    with postgres_schema() as url:
        secret = url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
        with pytest.raises(NoLedger) as caught:
            Ledger.open(secret, environ={}, must_exist=True)
        assert "s3cret" not in caught.value.text.en and "***" in caught.value.text.en


@pytest.mark.parametrize("pattern", ["hmac.key", "signing.key", "epoch-*.key"])
def test_a_ledger_whose_key_file_is_missing_is_not_given_a_new_key(
    tmp_path: Path, pattern: str
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open_ledger(url, tmp_path) as ledger:
        ledger.journal  # noqa: B018 — created, with its keys
    [key] = (tmp_path / "keys").glob(pattern)
    key.unlink()
    with pytest.raises(KeyProblem) as caught:
        Ledger.open(url, environ=environ(url, tmp_path), must_exist=True)
    assert key.name in caught.value.text.en
    assert not list((tmp_path / "keys").glob(pattern))


def test_write_commands_still_create_a_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    lines = write_lines(tmp_path / "in.jsonl", [person_line("p1")])
    result = run(["ledger", "import", str(lines)], {"LICITE_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new.db").is_file() and (tmp_path / "new.db.keys" / "signing.key").is_file()
    verified = run(["--lang", "en", "ledger", "verify"], {"LICITE_DATABASE_URL": url})
    assert verified.exit_code == 0 and "ledger intact: 0 event(s), 1 person record(s)" in (
        verified.output
    )
