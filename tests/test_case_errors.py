"""Bad input: exit 2 with a message naming the field and the value; exit 3 outside the model."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from licite.case import load_case
from licite.errors import InvalidInput
from tests.builders import case, collected, email_consent

LICITE = Path(sys.executable).with_name("licite")
GOOD = case("2024-03-05T10:00:00+01:00", history=[collected(), email_consent()])


def broken(path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(GOOD)
    target: Any = document
    *parents, leaf = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(leaf) if leaf.isdigit() else leaf] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "field", "shown"),
    [
        ("history.1.mechanism", "telepathy", "history[1].mechanism", "'telepathy'"),
        ("history.1.type", "rumour", "history[1]", "rumour"),
        ("request.channel", "pigeon", "request.channel", "'pigeon'"),
        ("request.relates_to_profession", "yes", "request.relates_to_profession", "'yes'"),
        ("person.kind", 3, "person.kind", "3"),
        ("person.phone", "call me", "person.phone", "'call me'"),
        ("person.postal_code", "7501", "person.postal_code", "'7501'"),
        ("person.email", "not-an-address", "person.email", "'not-an-address'"),
        ("at", "2024-02-30", "at", "'2024-02-30'"),
        ("history.0.at", "soon", "history[0].at", "'soon'"),
        ("sender.surname", "x", "sender.surname", "'x'"),
        ("history.0.colour", "blue", "history[0].colour", "'blue'"),
    ],
)
def test_errors_name_the_field_and_the_value(path: str, value: Any, field: str, shown: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_case(broken(path, value))
    for message in (caught.value.text.en, caught.value.text.fr):
        assert message.startswith(field), message
        assert shown in message, message


def test_missing_required_fields() -> None:
    document = copy.deepcopy(GOOD)
    del document["request"]["channel"]
    with pytest.raises(InvalidInput) as caught:
        load_case(document)
    assert "channel" in caught.value.text.en and "channel" in caught.value.text.fr
    del document["at"]
    with pytest.raises(InvalidInput, match="at: required field is missing"):
        load_case(document)


def test_every_error_is_listed() -> None:
    document = broken("request.channel", "pigeon")
    document["person"]["kind"] = "alien"
    with pytest.raises(InvalidInput) as caught:
        load_case(document)
    assert "request.channel" in caught.value.text.en and "person.kind" in caught.value.text.en


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LICITE), *args], capture_output=True, text=True, check=False, input=stdin
    )


def test_cli_reports_parse_errors_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("at: 2024-01-01\nsender: {id: shop\nrequest: x\n", encoding="utf-8")
    done = cli("--lang", "en", "decide", str(path))
    assert done.returncode == 2
    assert "line 3" in done.stderr and "column" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_json_parse_errors(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"at": "2024-01-01",\n "sender": }', encoding="utf-8")
    done = cli("--lang", "fr", "decide", str(path))
    assert done.returncode == 2 and "ligne 2, colonne" in done.stderr


def test_cli_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("at: 2024-01-01\nat: 2025-01-01\n", encoding="utf-8")
    done = cli("--lang", "en", "decide", str(path))
    assert done.returncode == 2 and "duplicate key 'at'" in done.stderr


def test_cli_not_modelled_is_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case("2003-01-01")), encoding="utf-8")
    done = cli("--lang", "en", "decide", "--json", str(path))
    assert done.returncode == 3
    assert "2003-01-01" in done.stderr and "2004-06-22" in done.stderr
    assert done.stdout == ""


def test_cli_missing_file() -> None:
    done = cli("decide", "/nonexistent/case.yaml")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_yaml_scalars_stay_text(tmp_path: Path) -> None:
    """Phone numbers and postal codes need no quotes; `no` is not false."""
    path = tmp_path / "case.yaml"
    path.write_text(
        "at: 2026-10-06T11:00:00+02:00\n"
        "sender: {id: windows-co}\n"
        "request: {action: contact, channel: phone_call, purpose: commercial, offer: windows}\n"
        "person: {kind: consumer, phone: +33612345678, postal_code: 67000}\n"
        "history: [{at: 2026-01-10, type: consent, channel: phone_call, purpose: commercial,"
        " mechanism: checkbox}]\n",
        encoding="utf-8",
    )
    done = cli("decide", "--json", str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["allowed"] is True
