"""Lists written the way French CRMs and Excel write them, scrubbed end to end.

Windows-1252 with accents, a BOM and semicolons, CRLF, quoted fields holding a
newline, `+33 (0)6 …` numbers, renamed headers, a blank line, duplicates: the
right rows allowed, blocked, rejected and duplicated, each with its physical
line in the file. Then the results as French Excel and a machine read them.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.test_ledger_support import environ, event_line, person_line, run, write_lines

EMAIL = {
    "id": "soldes",
    "at": "2026-03-10T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"},
}
SMS = {
    **EMAIL,
    "id": "soldes-sms",
    "request": {"action": "contact", "channel": "sms", "purpose": "commercial", "offer": "shoes"},
}

CRM = (
    "Identifiant;Type;E-mail;Téléphone;Code postal;Prénom;Commentaire\r\n"  # 1
    "C1;particulier;beatrice@exemple.fr;+33 (0)6 12 34 56 78;75011;Béatrice;"  # 2
    '"cliente fidèle\r\n'
    'depuis 2019"\r\n'  # 3
    "\r\n"  # 4: blank
    "C2;professionnel;jerome@exemple.fr;06 12 34 56 79;69001;Jérôme;RAS\r\n"  # 5
    "C3;martien;zoe@exemple.fr;;;Zoé;\r\n"  # 6: unknown kind
    "C1;particulier;beatrice@exemple.fr;+33 (0)6 12 34 56 78;75011;Béatrice;encore\r\n"  # 7
    "C4;;noemie@exemple.fr;;13001;Noémie;\r\n"  # 8: no kind given
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    settings = environ(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)
    lines = [
        person_line("C1", email="beatrice@exemple.fr", phone="0612345678", postal_code="75011"),
        event_line("C1", "2025-10-25", "consent", channel="email", purpose="commercial",
                   sender="shop", mechanism="checkbox"),
        event_line("C1", "2025-10-25", "consent", channel="sms", purpose="commercial",
                   sender="shop", mechanism="checkbox"),
    ]  # fmt: skip
    done = run(["ledger", "import", str(write_lines(tmp_path / "in.jsonl", lines))], settings)
    assert done.exit_code == 0, done.output
    for name, campaign in (("email", EMAIL), ("sms", SMS)):
        (tmp_path / f"{name}.json").write_text(json.dumps(campaign), encoding="utf-8")
    return settings


def _scrub(
    env: dict[str, str],
    tmp: Path,
    data: bytes,
    *args: str,
    campaign: str = "email",
    out: str = "out",
) -> Any:
    contacts = tmp / "export-crm.csv"
    contacts.write_bytes(data)
    command = ["scrub", str(contacts), "--campaign", str(tmp / f"{campaign}.json")]
    return run([*command, "--out", str(tmp / out), *args], env)


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_a_crm_export_is_read_as_written(
    env: dict[str, str], tmp_path: Path, encoding: str
) -> None:
    done = _scrub(env, tmp_path, CRM.encode(encoding))
    assert done.exit_code == 0, done.output
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    expected = {"rows": 5, "scrubbed": 3, "allowed": 1, "blocked": 2, "rejected": 1}
    assert {k: summary["counts"][k] for k in expected} == expected
    assert summary["counts"]["duplicates"] == 1
    allowed = _rows(out / "allowed.csv")
    assert [(r["id"], r["Prénom"]) for r in allowed] == [("C1", "Béatrice")]
    assert allowed[0]["Commentaire"] == "cliente fidèle\r\ndepuis 2019"
    blocked = {r["id"]: r for r in _rows(out / "blocked.csv")}
    assert set(blocked) == {"C2", "C4"}
    assert blocked["C2"]["kind"] == "professional" and blocked["C4"]["kind"] == "consumer"
    (rejected,) = _rows(out / "rejected.csv")
    assert rejected["line"] == "6"
    assert rejected["raw"] == "C3;martien;zoe@exemple.fr;;;Zoé;"
    assert "martien" in rejected["reason"]
    (duplicate,) = _rows(out / "duplicates.csv")
    assert (duplicate["line"], duplicate["repeats_line"]) == ("7", "2")
    assert duplicate["raw"].endswith("Béatrice;encore")
    source = summary["input"]
    assert source["name"] == "export-crm.csv"
    assert source["sha256"] == hashlib.sha256(CRM.encode(encoding)).hexdigest()
    assert source["bytes"] == len(CRM.encode(encoding))
    assert summary["spec_version"] == "2" and summary["licite_version"]
    assert summary["campaign"] == "soldes" and summary["ran_at"][10] == "T"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'href="duplicates.csv"' in report and 'href="rejected.csv"' in report
    assert "C3;martien;zoe@exemple.fr;;;Zoé;" in report


def test_numbers_written_the_french_way_match_the_ledger(
    env: dict[str, str], tmp_path: Path
) -> None:
    data = "\ufeffPortable\r\n+33 (0)6 12 34 56 78\r\n06 99 99 99 99\r\n".encode()
    done = _scrub(env, tmp_path, data, campaign="sms")
    assert done.exit_code == 0, done.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["allowed"] == 1  # C1 found by their number alone
    assert summary["counts"]["blocked"] == 1


def test_map_names_a_column_and_kind_gives_the_default(env: dict[str, str], tmp_path: Path) -> None:
    data = b"Adresse pro,Nom\njerome@exemple.fr,J\n"
    done = _scrub(env, tmp_path, data, "--map", "Adresse pro=email", "--kind", "professionnel")
    assert done.exit_code == 0, done.output
    (row,) = _rows(tmp_path / "out" / "blocked.csv")
    assert row["email"] == "jerome@exemple.fr" and row["kind"] == "professional"
    missing = _scrub(env, tmp_path, data, "--map", "Courriel=email", out="again")
    assert missing.exit_code == 2 and "Courriel" in missing.output


def test_a_file_that_is_not_text_stops_before_any_work(env: dict[str, str], tmp_path: Path) -> None:
    done = _scrub(env, tmp_path, b"PK\x03\x04\x14\x00\x06\x00" + bytes(300))
    assert done.exit_code == 2
    assert "n'est pas un fichier texte" in done.output
    assert not (tmp_path / "out").exists()


def test_excel_output_opens_with_its_accents_and_columns(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = _scrub(env, tmp_path, CRM.encode("cp1252"), "--excel")
    assert done.exit_code == 0, done.output
    out = tmp_path / "out"
    for name in ("allowed.csv", "blocked.csv", "rejected.csv", "duplicates.csv"):
        raw = (out / name).read_bytes()
        assert raw.startswith(codecs.BOM_UTF8), name
        text = raw.decode("utf-8-sig")
        assert csv.Sniffer().sniff(text.splitlines()[0]).delimiter == ";", name
    # As a spreadsheet reads it: the BOM says UTF-8, the semicolon splits the columns.
    sheet = list(csv.reader(io.StringIO((out / "allowed.csv").read_bytes().decode("utf-8-sig")),
                            delimiter=";"))  # fmt: skip
    header = sheet[0]
    assert {"id", "email", "Prénom", "Commentaire", "basis"} <= set(header)
    assert sheet[1][header.index("Prénom")] == "Béatrice"
    sniffed = duckdb.sql(f"SELECT * FROM read_csv('{out / 'blocked.csv'}')").fetchall()
    assert any("Jérôme" in row for row in sniffed)


def test_parquet_output_for_machines(env: dict[str, str], tmp_path: Path) -> None:
    done = _scrub(env, tmp_path, CRM.encode("cp1252"), "--format", "parquet")
    assert done.exit_code == 0, done.output
    out = tmp_path / "out"
    rows = duckdb.sql(f"SELECT id, \"Prénom\" FROM '{out / 'allowed.parquet'}'").fetchall()
    assert rows == [("C1", "Béatrice")]
    assert duckdb.sql(f"SELECT count(*) FROM '{out / 'blocked.parquet'}'").fetchone() == (2,)
    assert 'href="rejected.parquet"' in (out / "report.html").read_text(encoding="utf-8")
