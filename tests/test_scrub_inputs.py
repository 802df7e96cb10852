"""Bad lists: a clear error before any work, or the bad rows set aside with line and reason."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licite.errors import InvalidInput
from licite.ledger import Ledger
from licite.phones import normalize_phone
from licite.scrub import run as scrub_run
from licite.scrub.contacts import read_contacts
from licite.scrub.duck import connect
from licite.scrub.normalize import install
from licite.scrub.run import scrub

LICITE = Path(sys.executable).with_name("licite")
CAMPAIGN = {
    "id": "spring",
    "at": "2026-03-10T11:00:00+01:00",
    "sender": {"id": "shop"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "shoes"},
}
HEADER = b"id,kind,email,phone,postal_code,segment\n"


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("LICITE_KEY_DIR", str(tmp_path / "keys"))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("LICITE_DATABASE_URL", url)
    campaign = tmp_path / "campaign.json"
    campaign.write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    Ledger.open(url).close()  # the scrub reads a ledger, never makes one
    yield {"tmp": tmp_path, "campaign": campaign, "url": url}


def run(
    setup: dict[str, Any], content: bytes, name: str = "contacts.csv", *, overwrite: bool = False
) -> Path:
    contacts = setup["tmp"] / name
    contacts.write_bytes(content)
    out: Path = setup["tmp"] / "out"
    scrub(contacts, setup["campaign"], out, database_url=setup["url"], overwrite=overwrite)
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("header", [b"id,kind,name\n", b"identifier,type,segment\n"])
def test_a_list_without_an_address_column_stops_before_any_work(
    setup: dict[str, Any], header: bytes
) -> None:
    with pytest.raises(InvalidInput) as caught:
        run(setup, header + b"1,consumer,x\n")
    assert "no address column (email, phone or postal code)" in caught.value.text.en
    assert "aucune colonne d'adresse" in caught.value.text.fr
    assert not (setup["tmp"] / "out").exists()


def test_bad_rows_are_set_aside_with_their_line_and_the_rest_is_scrubbed(
    setup: dict[str, Any],
) -> None:
    content = HEADER + b"".join(
        [
            b"1,consumer,a@example.fr,0612345678,75011,x\n",  # line 2: fine
            b'2,consumer,"caf\xe9@example.fr",0612345679,75011,x\n',  # line 3: Windows-1252
            b"3,consumer,c@example.fr,06123,75011,x\n",  # line 4: bad number
            b"4,alien,d@example.fr,0612345670,75011,x\n",  # line 5: bad kind
            b"5,consumer,not-an-address,,75011,x\n",  # line 6: bad address
            b"6,consumer,f@example.fr,,7501,x\n",  # line 7: bad postal code
            b"7,consumer,g@example.fr,,,x,extra\n",  # line 8: too many columns
            b"1,consumer,a@example.fr,0612345678,75011,again\n",  # line 9: repeats line 2
            b"9,professional,i@example.fr,+33 7 11 22 33 44,67000,y\n",  # line 10: fine
        ]
    )
    out = run(setup, content)
    rejected = {int(r["line"]): r for r in rows(out / "rejected.csv")}
    # The file is Windows-1252 (line 3): read as such, not rejected (issue 16).
    assert sorted(rejected) == [4, 5, 6, 7, 8]
    assert rejected[4]["problem"] == "phone" and "06123" in rejected[4]["reason"]
    assert rejected[5]["problem"] == "kind" and "alien" in rejected[5]["reason"]
    assert rejected[6]["problem"] == "email" and "not-an-address" in rejected[6]["reason"]
    assert rejected[7]["problem"] == "postal_code"
    assert "unreadable" in rejected[8]["problem"]
    assert rejected[8]["raw"] == "7,consumer,g@example.fr,,,x,extra"
    (repeat,) = rows(out / "duplicates.csv")
    assert (repeat["line"], repeat["repeats_line"]) == ("9", "2")
    scrubbed = rows(out / "blocked.csv") + rows(out / "allowed.csv")
    assert sorted(r["id"] for r in scrubbed) == ["1", "2", "9"]
    assert "café@example.fr" in {r["email"] for r in scrubbed}
    assert {r["segment"] for r in scrubbed} == {"x", "y"}  # extra columns carried through
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == {
        "rows": 9,
        "scrubbed": 3,
        "allowed": 0,
        "blocked": 3,
        "rejected": 5,
        "duplicates": 1,
    }


def test_outputs_keep_the_order_of_the_list_around_the_rows_set_aside(
    setup: dict[str, Any],
) -> None:
    good = [f"{n},consumer,p{n}@example.fr,06123456{n:02d},75011,s{n}" for n in range(40, 0, -1)]
    lines = []
    for index, line in enumerate(good):
        lines.append(line)
        if index % 7 == 3:
            lines.append("x,consumer,e@example.fr,,75011,bad,extra")  # unreadable
        if index % 5 == 1:
            lines.append(f"{index + 100},alien,q@example.fr,,75011,bad")  # set aside
    content = HEADER + "\n".join(lines).encode("latin-1") + b"\n"
    out = run(setup, content)
    written = rows(out / "blocked.csv") + rows(out / "allowed.csv")
    assert [r["id"] for r in rows(out / "blocked.csv")] == [str(n) for n in range(40, 0, -1)]
    assert all(r["segment"] == f"s{r['id']}" for r in written)  # each row beside its line
    rejected = [int(r["line"]) for r in rows(out / "rejected.csv")]
    assert rejected == sorted(rejected) and len(rejected) == 6 + 8


def test_unknown_people_are_refused_for_lack_of_consent(setup: dict[str, Any]) -> None:
    out = run(setup, HEADER + b",consumer,a@example.fr,,,x\n")
    blocked = rows(out / "blocked.csv")
    assert [r["reasons"] for r in blocked] == ["PROSPECT-NO-CONSENT"]
    assert "CPCE art. L34-5 al. 1" in blocked[0]["citations"]


def test_parquet_lists(setup: dict[str, Any]) -> None:
    import duckdb

    csv_path = setup["tmp"] / "list.csv"
    csv_path.write_bytes(HEADER + b"1,consumer,a@example.fr,,,x\n2,robot,b@example.fr,,,y\n")
    parquet = setup["tmp"] / "list.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar = true))"
        f" TO '{parquet}' (FORMAT parquet)"
    )
    out: Path = setup["tmp"] / "out"
    scrub(parquet, setup["campaign"], out, database_url=setup["url"])
    assert [r["line"] for r in rows(out / "rejected.csv")] == ["2"]
    assert len(rows(out / "blocked.csv")) == 1


def test_an_interrupted_run_leaves_no_outputs_that_look_complete(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run(setup, HEADER + b"1,consumer,a@example.fr,,,x\n")
    before = {p.name: p.read_bytes() for p in first.iterdir()}

    def crash(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(scrub_run, "write_report", crash)
    with pytest.raises(KeyboardInterrupt):
        run(setup, HEADER + b"2,consumer,b@example.fr,,,y\n", overwrite=True)
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before
    leftovers = [p.name for p in setup["tmp"].iterdir() if p.name.startswith(".out")]
    assert leftovers == []


def test_cli_scrub(setup: dict[str, Any]) -> None:
    contacts = setup["tmp"] / "contacts.csv"
    contacts.write_bytes(HEADER + b"1,consumer,a@example.fr,,,x\n")
    done = subprocess.run(
        [
            str(LICITE),
            "--lang",
            "en",
            "scrub",
            str(contacts),
            "--campaign",
            str(setup["campaign"]),
            "--out",
            str(setup["tmp"] / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "0 allowed, 1 blocked, 0 rejected" in done.stdout
    assert done.stderr == ""  # no progress when not on a terminal
    missing = subprocess.run(
        [
            str(LICITE),
            "scrub",
            str(setup["tmp"] / "nope.csv"),
            "--campaign",
            str(setup["campaign"]),
            "--out",
            str(setup["tmp"] / "out2"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_a_scrub_where_no_ledger_is_refuses_and_creates_nothing(tmp_path: Path) -> None:
    # A mistyped LICITE_DATABASE_URL must not scrub against an empty history: no objection,
    # no opposition list, and opt-out channels would be allowed to everyone.
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes(HEADER + b"1,consumer,a@example.fr,,,x\n")
    campaign = tmp_path / "campaign.json"
    campaign.write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    env = {**os.environ, "LICITE_DATABASE_URL": f"sqlite:///{tmp_path / 'typo.db'}"}
    env.pop("LICITE_KEY_DIR", None)
    command = ["--lang", "en", "scrub", str(contacts), "--campaign", str(campaign)]
    done = subprocess.run(
        [str(LICITE), *command, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 5 and "no ledger at" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaign.json", "contacts.csv"]


def test_a_number_only_phonenumbers_reads_still_places_the_row(tmp_path: Path) -> None:
    from licite.phones import normalize_phone
    from licite.places import place_of
    from licite.scrub.contacts import read_contacts
    from licite.scrub.duck import connect
    from licite.scrub.normalize import install

    raw = "+262 (0) 692 12 34 56"  # beyond the fast path: settled by phonenumbers
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes(
        HEADER + f"p1,consumer,,{raw},,a\np2,consumer,,0692 12 34 57,,b\n".encode()
    )
    con = connect(threads=1)
    install(con)
    read_contacts(con, contacts)
    places = dict(con.execute("SELECT id, place FROM contacts").fetchall())
    assert places == {
        "p1": place_of(None, normalize_phone(raw)).key,
        "p2": place_of(None, normalize_phone("0692 12 34 57")).key,
    }
    assert places["p1"] == "reunion"


# A few ids, addresses and numbers, spelled several ways, so that rows often share them.
_IDS = st.sampled_from(["", "1", " 1", "2", "p3"])
_EMAILS = st.sampled_from(["", "a@example.fr", " A@Example.FR", "b@example.fr"])
_PHONES = st.sampled_from(["", "0612345678", "06 12 34 56 78", "+33698765432"])


def _person_key(ident: str, email: str, phone: str) -> str | None:
    """Who a row is, as the list's checks read it: its id, else its address and number."""
    if ident.strip():
        return ident.strip()
    address = email.strip().lower()
    number = normalize_phone(phone) if phone.strip() else None
    return f"~{address}|{number or ''}" if address or number else None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_IDS, _EMAILS, _PHONES), min_size=1, max_size=30))
def test_every_row_after_the_first_of_its_person_is_a_duplicate_of_that_first(
    tmp_path_factory: pytest.TempPathFactory, lines: list[tuple[str, str, str]]
) -> None:
    path = tmp_path_factory.mktemp("dup") / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "kind", "email", "phone", "postal_code"])
        writer.writerows([(i, "consumer", e, p, "75011") for i, e, p in lines])
    first: dict[str, int] = {}
    expected = {}
    for line, row in enumerate(lines, start=2):
        key = _person_key(*row)
        if key is not None and key in first:
            expected[line] = f"duplicate of line {first[key]}"
        elif key is not None:
            first[key] = line
    con = connect()
    install(con)
    read_contacts(con, path)
    found = dict(
        con.execute("SELECT line, 'duplicate of line ' || first_line FROM duplicates").fetchall()
    )
    assert found == expected
    assert con.execute("SELECT count(*) FROM rejected").fetchone() == (0,)
