"""Hostile input (issue 13, finding 6): each attack performed, each a clear error in well
under a second and bounded memory, never exit 70.

The commands run in a child process with an address-space limit and a timeout, so an
attack that works shows up as a killed child, not as a hung test run.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licite.case import load_case
from licite.documents import parse_text, read_document
from licite.errors import InvalidInput, NotModelled, shown
from licite.ledger import Ledger, import_file
from licite.ledger.history import history_as_of
from licite.moments import MomentOutOfRange, parse_moment
from licite.scrub.contacts import read_contacts
from licite.scrub.duck import connect
from licite.scrub.normalize import install
from licite.scrub.shape import MAX_COLUMNS, MAX_EXTRA
from tests.test_ledger_support import write_lines

LICITE = Path(sys.executable).with_name("licite")
MEMORY = 3 << 30
"""Address space for the child (DuckDB reserves much it never uses); the bomb took more
than 2 GiB of memory and a minute, the 20 000-column list ran DuckDB out of memory."""
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]"
            for before, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
CASE = {
    "at": "2026-03-10T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial"},
    "person": {"kind": "consumer", "email": "a@example.fr"},
}
CAMPAIGN = {key: value for key, value in CASE.items() if key != "person"}


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def licite(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LICITE), "--lang", "en", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=30,
        preexec_fn=_limit,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LICITE_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.delenv("LICITE_KEY_DIR", raising=False)
    Ledger.open().close()  # the scrub reads a ledger, never makes one
    yield tmp_path


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def test_the_alias_bomb_is_small() -> None:
    assert len(BOMB.encode()) < 420


def test_a_yaml_alias_bomb_is_refused_at_once(work: Path) -> None:
    def parse() -> None:
        with pytest.raises(InvalidInput) as caught:
            parse_text(BOMB, name="bomb.yaml")
        assert "aliases" in caught.value.text.en and "alias" in caught.value.text.fr

    assert timed(parse) < 0.5
    (work / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    (work / "contacts.csv").write_text("id,kind,email,phone,postal_code\n", encoding="utf-8")
    for args in (
        ("decide", "bomb.yaml"),
        ("scrub", "contacts.csv", "--campaign", "bomb.yaml", "--out", "out"),
    ):
        done = licite(*args, cwd=work)
        assert done.returncode == 2, done.stderr
        assert "YAML anchors and aliases" in done.stderr
        assert len(done.stderr) < 400


def test_a_bomb_passed_as_a_value_is_shown_cut_short() -> None:
    value: Any = ["lol"] * 9
    for _ in range(9):
        value = [value] * 9  # 9**10 leaves, shared: repr() would never end
    assert len(shown(value)) <= 80
    with pytest.raises(InvalidInput) as caught:
        load_case({**CASE, "person": value})
    assert len(caught.value.text.en) < 300


@settings(max_examples=50, deadline=None)
@given(
    st.recursive(
        st.text(max_size=50),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(max_size=5), inner),
    )
)
def test_shown_is_bounded_for_any_value(value: Any) -> None:
    text = shown(value)
    assert len(text) <= 80
    full = repr(value)
    if len(full) <= 80:
        assert text == full


@pytest.mark.parametrize("as_json", [True, False])
def test_a_duplicate_key_is_refused_naming_it(as_json: bool) -> None:
    later = "9999-12-31" if as_json else "2027-01-01"
    text = (
        json.dumps({"at": "2026-03-10T11:00:00+01:00", "sender": {"id": "shop"}})[:-1]
        + f', "at": "{later}"}}'
        if as_json
        else f"at: 2026-03-10T11:00:00+01:00\nat: {later}\n"
    )
    with pytest.raises(InvalidInput) as caught:
        parse_text(text, name="case", as_json=as_json)
    assert "duplicate key 'at'" in caught.value.text.en
    assert "clé 'at' en double" in caught.value.text.fr


def test_a_duplicate_key_in_an_import_line_rejects_that_line(work: Path) -> None:
    lines = work / "import.jsonl"
    lines.write_text(
        '{"type": "person", "id": "C-1", "kind": "consumer"}\n'
        '{"person": "C-1", "at": "2025-01-01", "at": "2026-01-01", "type": "consent"}\n'
        '{"person": "C-1", "at": "2025-01-02", "type": "consent"}\n',
        encoding="utf-8",
    )
    with Ledger.open() as ledger:
        report = import_file(ledger, lines)
    assert report.events_added == 1
    assert [(n, t.en) for n, t in report.rejected] == [(2, "duplicate key 'at'")]


@pytest.mark.parametrize("moment", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59-12:00"])
def test_dates_outside_what_licite_models_exit_3(work: Path, moment: str) -> None:
    with pytest.raises(MomentOutOfRange):
        parse_moment(moment)
    with pytest.raises(NotModelled) as caught:
        load_case({**CASE, "at": moment})
    assert caught.value.text.en.startswith("at: date outside what licite models")
    history = [{"at": moment, "type": "consent", "channel": "email", "purpose": "commercial"}]
    with pytest.raises(NotModelled):
        load_case({**CASE, "history": history})
    (work / "case.json").write_text(json.dumps({**CASE, "history": history}), encoding="utf-8")
    (work / "campaign.json").write_text(json.dumps({**CAMPAIGN, "at": moment}), encoding="utf-8")
    (work / "contacts.csv").write_text(
        "id,kind,email,phone,postal_code\n1,consumer,a@example.fr,,\n", encoding="utf-8"
    )
    with Ledger.open() as ledger:
        import_file(ledger, write_lines(work / "p.jsonl", [{"type": "person", "id": "p1"}]))
    for args in (
        ("decide", "case.json"),
        ("scrub", "contacts.csv", "--campaign", "campaign.json", "--out", "out"),
        ("scrub", "contacts.csv", "--campaign", "campaign.json", "--out", "o2", "--at", moment),
        ("ledger", "history", "--person", "p1", "--at", moment),
        ("ledger", "export", "--person", "p1", "--at", moment),
        ("decide", "--person", "p1", "--campaign", "campaign.json", "--at", moment),
    ):
        done = licite(*args, cwd=work)
        assert done.returncode == 3, (args, done.stderr)
        assert "outside what licite models" in done.stderr
        assert "Traceback" not in done.stderr


def test_an_import_rejects_the_line_out_of_range_and_imports_the_rest(work: Path) -> None:
    lines = work / "import.jsonl"
    rows = [
        {"type": "person", "id": "C-1", "kind": "consumer"},
        {"person": "C-1", "at": "9999-12-31", "type": "consent"},
        {"person": "C-1", "at": "0001-01-01", "type": "consent"},
        {"person": "C-1", "at": "2025-01-01", "type": "consent"},
    ]
    lines.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    done = licite("ledger", "import", str(lines), cwd=work)
    assert done.returncode == 2, done.stderr
    assert f"{lines}:2: at: date outside what licite models" in done.stderr
    assert f"{lines}:3: at: date outside what licite models" in done.stderr
    assert "1 event(s) added" in done.stdout
    history = licite("ledger", "history", "--person", "C-1", cwd=work)
    assert history.returncode == 0 and history.stdout.count("\n") == 1


def test_history_skips_an_event_an_older_version_recorded_out_of_range(work: Path) -> None:
    """An event at 9999-12-31 written by a version that let it in must not make the
    person's history unreadable for ever."""
    lines = work / "import.jsonl"
    rows = [
        {"type": "person", "id": "C-1", "kind": "consumer"},
        {"person": "C-1", "at": "2025-01-01", "type": "consent"},
        {"person": "C-1", "at": "2199-12-30", "type": "consent"},
    ]
    lines.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with Ledger.open() as ledger:
        assert not import_file(ledger, lines).rejected
    # What the older version stored: the same event, its moment in the year 9999.
    with sqlite3.connect(work / "ledger.db") as raw:
        raw.execute(
            "UPDATE events SET at_us = 253402214400000000, at_text = '9999-12-31T00:00:00+00:00'"
            " WHERE at_text LIKE '2199%'"
        )
    raw.close()
    with Ledger.open() as ledger:
        events = history_as_of(ledger, ledger.person("C-1"), None)
    assert [event.at.year for event in events] == [2024]  # 2025-01-01 Paris is 2024 in UTC


def test_an_email_with_a_nul_byte_or_a_control_character_is_refused(work: Path) -> None:
    for email in ("a\x00b@example.fr", "a\x07b@example.fr", "a@example.fr\x1b"):
        with pytest.raises(InvalidInput) as caught:
            load_case({**CASE, "person": {"kind": "consumer", "email": email}})
        assert caught.value.text.en.startswith("person.email: not an email address")
    contacts = work / "contacts.csv"
    contacts.write_bytes(
        b"id,kind,email,phone,postal_code\n"
        b"1,consumer,a\x00b@example.fr,,75011\n"
        b"2,consumer,c\x07d@example.fr,,75011\n"
        b"3,consumer,ok@example.fr,,75011\n"
    )
    con = connect(threads=1)
    install(con)
    read_contacts(con, contacts)
    assert con.execute("SELECT line, problem FROM rejected ORDER BY line").fetchall() == [
        (2, "email"),
        (3, "email"),
    ]
    con.close()


def _wide(path: Path, header: int, rows: list[int], before: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(["id", "kind", "email", "phone", "postal_code"][:header]))
        handle.write("".join(f",c{i}" for i in range(header - 5)) + "\n")
        for n in range(before):
            handle.write(f"{n},consumer,p{n}@example.fr,,75011" + ",x" * (header - 5) + "\n")
        for n, width in enumerate(rows, start=before):
            handle.write(f"{n},consumer,p{n}@example.fr,,75011" + ",x" * (width - 5) + "\n")
    return path


@pytest.mark.parametrize(
    ("header", "rows", "before", "line"),
    [
        (20_000, [20_000] * 3, 0, 1),  # the file: a header of 20 000 columns
        (6, [20_000] * 50, 0, 2),  # a narrow header, fifty rows of 20 000 columns
        (6, [20_000] * 50, 30_000, 30_002),  # the same past what DuckDB's sniffer samples
        (6, [6 + MAX_EXTRA + 1], 0, 2),
    ],
)
def test_a_list_too_wide_is_refused_quickly_naming_the_line(
    work: Path, header: int, rows: list[int], before: int, line: int
) -> None:
    contacts = _wide(work / "contacts.csv", header, rows, before)
    con = connect(threads=2, memory_limit="500MB")
    install(con)

    def read() -> None:
        with pytest.raises(InvalidInput) as caught:
            read_contacts(con, contacts)
        assert (
            f"line {line}:" in caught.value.text.en or "line 1 (the header)" in caught.value.text.en
        )
        assert "colonnes" in caught.value.text.fr or "en-tête" in caught.value.text.fr

    assert timed(read) < 1.0
    con.close()
    (work / "campaign.json").write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    done = licite("scrub", "contacts.csv", "--campaign", "campaign.json", "--out", "out", cwd=work)
    assert done.returncode == 2, done.stderr
    assert not (work / "out").exists()


def test_a_few_columns_too_many_are_rows_set_aside_not_a_refusal(work: Path) -> None:
    contacts = _wide(work / "contacts.csv", 6, [6, 7, 6 + MAX_EXTRA, 6])
    con = connect(threads=1)
    install(con)
    read_contacts(con, contacts)
    rejected = con.execute("SELECT line FROM rejected ORDER BY line").fetchall()
    assert rejected == [(3,), (4,)]
    con.close()
    assert MAX_COLUMNS >= 100


def test_quoted_separators_are_not_columns(work: Path) -> None:
    contacts = work / "contacts.csv"
    notes = '"' + ",".join(["a"] * 100) + '"'
    contacts.write_text(
        f"id,kind,email,phone,postal_code,notes\n1,consumer,a@example.fr,,75011,{notes}\n",
        encoding="utf-8",
    )
    con = connect(threads=1)
    install(con)
    read_contacts(con, contacts)
    assert con.execute("SELECT count(*) FROM contacts").fetchone() == (1,)
    con.close()


def test_read_document_is_the_same_guard(work: Path) -> None:
    path = work / "dup.json"
    path.write_text('{"a": 1, "a": 2}', encoding="utf-8")
    with pytest.raises(InvalidInput):
        read_document(path)


def test_a_csv_of_people_with_a_huge_field_or_a_wide_row_rejects_those_lines(work: Path) -> None:
    people = work / "people.csv"
    people.write_text(
        "id,kind,email,phone,postal_code\n"
        "C-1,consumer,a@example.fr,,75011\n"
        f"C-2,consumer,{'x' * 200_000},,75011\n"
        "C-3,consumer,c@example.fr,,75011\n"
        "C-4,consumer" + ",x" * 20_000 + "\n"
        "C-5,consumer,e@example.fr,,75011\n",
        encoding="utf-8",
    )
    with Ledger.open() as ledger:
        report = import_file(ledger, people)
    assert [n for n, _ in report.rejected] == [3, 5]
    assert report.persons_added == 3
    assert all(len(text.en) < 200 for _, text in report.rejected)


def test_scrub_at_out_of_range_exits_3(work: Path) -> None:
    (work / "campaign.json").write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    (work / "contacts.csv").write_text("id,kind,email,phone,postal_code\n", encoding="utf-8")
    done = licite(
        "scrub",
        "contacts.csv",
        "--campaign",
        "campaign.json",
        "--out",
        "o",
        "--at",
        "9999-12-31",
        cwd=work,
    )
    assert done.returncode == 3, done.stderr
    assert not (work / "o").exists()
