"""Issue 13, finding 3: the signing key's place is configuration, and verify warns when
it lies beside the database (whoever writes the database could then re-sign it)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from licite.ledger import KeyProblem, Ledger, import_file
from tests.test_ledger_support import person_line, postgres_schema, run, write_lines


def _import(env: dict[str, str], tmp_path: Path) -> None:
    lines = write_lines(tmp_path / "in.jsonl", [person_line("p1")])
    result = run(["ledger", "import", str(lines)], env)
    assert result.exit_code == 0, result.output


def test_the_default_key_folder_beside_sqlite_is_warned_of(tmp_path: Path) -> None:
    env = {"LICITE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}
    _import(env, tmp_path)
    english = run(["--lang", "en", "ledger", "verify"], env)
    assert english.exit_code == 0
    assert "warning: the signing key" in english.output
    assert f"{tmp_path / 'ledger.db.keys' / 'signing.key'} lies beside the database" in (
        english.output
    )
    assert "LICITE_SIGNING_KEY_FILE" in english.output
    french = run(["--lang", "fr", "ledger", "verify"], env)
    assert "attention : la clé de signature" in french.output


def test_a_signing_key_file_elsewhere_is_used_and_not_warned_of(tmp_path: Path) -> None:
    data, vault = tmp_path / "data", tmp_path / "vault"
    data.mkdir()
    env = {
        "LICITE_DATABASE_URL": f"sqlite:///{data / 'ledger.db'}",
        "LICITE_SIGNING_KEY_FILE": str(vault / "licite-signing.key"),
    }
    _import(env, tmp_path)
    key = vault / "licite-signing.key"
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not (data / "ledger.db.keys" / "signing.key").exists()
    assert (data / "ledger.db.keys" / "hmac.key").exists()  # the others stay where they were
    result = run(["--lang", "en", "ledger", "verify"], env)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    with Ledger.open(environ=env, must_exist=True) as ledger:
        assert ledger.keys.signing_file == key
        assert ledger.keys.signing == bytes.fromhex(key.read_text().strip())


def test_the_ledger_refuses_another_signing_key_file(tmp_path: Path) -> None:
    env = {"LICITE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}
    _import(env, tmp_path)
    moved = {**env, "LICITE_SIGNING_KEY_FILE": str(tmp_path / "elsewhere" / "fresh.key")}
    result = run(["--lang", "en", "ledger", "verify"], moved)
    assert result.exit_code == KeyProblem.exit_status
    assert "does not exist: no signing key" in result.output
    assert not (tmp_path / "elsewhere").exists()  # verify creates no key
    result = run(["--lang", "en", "ledger", "checkpoint"], moved)  # a writer creates it…
    assert result.exit_code == KeyProblem.exit_status
    assert "LICITE_SIGNING_KEY is not the key this ledger was created with" in result.output


def test_a_key_directory_away_from_the_database_is_not_warned_of(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    env = {
        "LICITE_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'ledger.db'}",
        "LICITE_KEY_DIR": str(tmp_path / "keys"),
    }
    _import(env, tmp_path)
    result = run(["--lang", "en", "ledger", "verify"], env)
    assert result.exit_code == 0 and "warning" not in result.output


def test_a_key_given_in_the_environment_is_not_warned_of(tmp_path: Path) -> None:
    env = {
        "LICITE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "LICITE_SIGNING_KEY": "ab" * 32,
    }
    _import(env, tmp_path)
    result = run(["--lang", "en", "ledger", "verify"], env)
    assert result.exit_code == 0 and "warning" not in result.output
    assert not (tmp_path / "ledger.db.keys" / "signing.key").exists()


def test_postgresql_is_not_warned_of(tmp_path: Path) -> None:
    with postgres_schema() as url:
        env = {"LICITE_DATABASE_URL": url, "LICITE_KEY_DIR": str(tmp_path / "keys")}
        with Ledger.open(environ=env) as ledger:
            import_file(ledger, write_lines(tmp_path / "in.jsonl", [person_line("p1")]))
        result = run(["--lang", "en", "ledger", "verify"], env)
        assert result.exit_code == 0 and "warning" not in result.output


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_signing_key_file_setting_means_the_key_folder(tmp_path: Path, value: str) -> None:
    env = {"LICITE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}
    _import({**env, "LICITE_SIGNING_KEY_FILE": value}, tmp_path)
    assert (tmp_path / "ledger.db.keys" / "signing.key").is_file()


def test_a_witness_log_beside_the_database_is_warned_of(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    env = {
        "LICITE_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'ledger.db'}",
        "LICITE_KEY_DIR": str(tmp_path / "keys"),
    }
    _import(env, tmp_path)
    beside = run(["--lang", "en", "ledger", "witness", "--to", str(tmp_path / "data" / "w")], env)
    assert beside.exit_code == 0 and "warning: the witness log" in beside.output
    away = run(["--lang", "en", "ledger", "witness", "--to", str(tmp_path / "w")], env)
    assert away.exit_code == 0 and "warning" not in away.output
