"""Issue 20: a page of people read at once (`histories_as_of`) is read as one at a time.

`licite retention run` reads a page of people's histories in a few statements and decides
each with the engine (`decide_read`); `licite decide --person` reads one person in five
(`ledger.person`, `history_as_of`) and decides the same way. On the generated ledger
(`licite.retention.sample`) with what it lacks added — an opposition list received twice
(numbers listed, then removed), erased records whose address and number other records
still hold (before and after the moment asked), STOPs by SMS — on SQLite and
PostgreSQL: every person's record and history are equal both ways at several moments,
and every answer of the run (code, end, clock) equals `decide_person`'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from licite.errors import InvalidInput, UnknownPerson
from licite.ledger import import_file
from licite.ledger.crypto import keyed_hash
from licite.ledger.erasure import erase_many
from licite.ledger.history import histories_as_of, history_as_of
from licite.ledger.journal import Batch
from licite.ledger.ledger import Ledger
from licite.ledger.store import Transaction
from licite.ledger.suppression import import_list
from licite.moments import micros, parse_moment
from licite.phones import normalize_phone
from licite.retention import Plan
from licite.retention.sample import AT, POLITICAL, write_ledger_file
from licite.service.campaigns import add_campaign
from tests.test_ledger_support import BACKENDS, open_ledger, raw, store_url, write_lines

PEOPLE = 400
MOMENTS = (
    "2026-05-01T09:00:00+02:00",
    "2026-07-01T09:00:00+02:00",
    AT,
    "2027-03-01T09:00:00+01:00",
)
ERASED_BEFORE, ERASED_AFTER = "2026-09-15T12:00:00+02:00", "2027-01-20T12:00:00+01:00"


def _people(source: Path) -> list[dict[str, str]]:
    lines = (json.loads(line) for line in source.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line.get("type") == "person"]


def _stops(ledger: Ledger, phones: list[str], moments: list[str]) -> None:
    rows = [
        (f"m{n}", keyed_hash(ledger.keys.hmac, phone), sender, True, 1, micros(parse_moment(at)))
        for n, (phone, at, sender) in enumerate(
            (phone, moments[n % len(moments)], ("shop", "liste-a")[n % 2])
            for n, phone in enumerate(phones)
        )
    ]

    def insert(tx: Transaction) -> None:
        tx.insert(
            "sms_inbound",
            ("message_id", "phone_hash", "sender", "stop", "persons", "received_at_us"),
            rows,
        )

    ledger.journal.commit(Batch(also=[insert]))


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    with store_url(request.param, tmp_path) as url, open_ledger(url, tmp_path) as opened:
        source = write_ledger_file(tmp_path / "in.jsonl", PEOPLE)
        assert not import_file(opened, source).rejected
        add_campaign(opened, POLITICAL)
        people = _people(source)
        phones = [str(normalize_phone(p["phone"])) for p in people if p.get("phone")]
        # The opposition list: 60 numbers in June, 30 of them still in November.
        import_list(opened, "bloctel", phones[:60], parse_moment("2026-06-01T08:00:00+02:00"))
        import_list(opened, "bloctel", phones[:30], parse_moment("2026-11-01T08:00:00+01:00"))
        # Second records with the address and number of 30 people; 20 of those people
        # erased before AT, 10 after: the records left hold their suppression hashes.
        twins = [p for p in people if p.get("email") and p.get("phone")][:30]
        lines: list[dict[str, object]] = [{**p, "id": f"t-{p['id']}"} for p in twins]
        collected: dict[str, object] = {"at": "2025-03-01", "type": "collected",
                                        "method": "form", "informed": True,
                                        "purpose": "commercial"}  # fmt: skip
        lines += [{"person": f"t-{p['id']}", **collected} for p in twins]
        assert not import_file(opened, write_lines(tmp_path / "twins.jsonl", lines)).rejected
        erase_many(opened, [p["id"] for p in twins[:20]], parse_moment(ERASED_BEFORE))
        erase_many(opened, [p["id"] for p in twins[20:]], parse_moment(ERASED_AFTER))
        # STOPs by SMS from 40 numbers, some before each moment, some after.
        stops = ["2026-04-10T10:00:00+02:00", AT, "2026-10-10T10:00:00+02:00",
                 "2027-02-10T10:00:00+01:00"]  # fmt: skip
        _stops(opened, phones[40:80], stops)
        yield opened


def _all_ids(ledger: Ledger) -> list[str]:
    return [str(r[0]) for r in ledger.store.read("SELECT id FROM persons ORDER BY id")]


def test_a_page_reads_every_record_and_history_as_one_person_does(ledger: Ledger) -> None:
    ids = _all_ids(ledger)
    seen: set[str] = set()
    for moment in map(parse_moment, MOMENTS):
        for first in range(0, len(ids), 97):  # pages that cut the ledger anywhere
            page = ids[first : first + 97]
            read = histories_as_of(ledger, page, moment)
            assert sorted(read) == sorted(page)
            for pid in page:
                person = ledger.person(pid)
                assert read[pid].stored == person
                alone = history_as_of(ledger, person, moment)
                assert read[pid].history == alone, (pid, moment)
                seen.update(_kind(e) for e in alone)
    # What the page reads beyond the events was there to be read, each kind of it.
    assert {"bloctel", "bloctel_removed", "objection/form", "objection/stop_sms"} <= seen, seen


def test_ids_out_of_order_or_unknown_are_read_alone(ledger: Ledger) -> None:
    ids = _all_ids(ledger)
    at = parse_moment(AT)
    page = [ids[5], ids[1], "nobody-here", ids[-1], ids[3]]
    read = histories_as_of(ledger, page, at)
    for pid in (ids[5], ids[1], ids[-1], ids[3]):
        assert read[pid].history == history_as_of(ledger, ledger.person(pid), at)
    with pytest.raises(UnknownPerson):
        _ = read["nobody-here"].history
    assert histories_as_of(ledger, [], at) == {}


@pytest.mark.parametrize("moment", [AT, "2027-03-01T09:00:00+01:00"])
def test_the_runs_answers_are_decide_persons(ledger: Ledger, moment: str) -> None:
    plan = Plan(ledger, parse_moment(moment))
    batched = list(plan.verdicts())
    alone = [plan.verdict(person, held) for person, held in plan.people()]
    assert [v.person for v in batched] == [v.person for v in alone]
    for got, expected in zip(batched, alone, strict=True):
        assert got == expected, got.person
    codes = {a.code for v in alone for a in v.answers}
    assert {"RETENTION-EXPIRED", "SUPPRESSION-RECORD", "WITHIN-RETENTION"} <= codes, codes
    assert any(a.clock_start is not None for v in alone for a in v.answers)


def test_one_sender_s_run_answers_as_decide_person(ledger: Ledger) -> None:
    plan = Plan(ledger, parse_moment(AT), "liste-a")
    batched = list(plan.verdicts())
    assert batched and batched == [plan.verdict(p, held) for p, held in plan.people()]


def test_a_page_is_read_in_a_few_statements(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its whole point (the speed is bench/retention.py's): not five statements a person."""
    statements: list[str] = []
    original, original_all = ledger.store.read, ledger.store.read_all
    inside = [False]

    def counted(sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if not inside[0]:  # `read_all` counted them (on SQLite it calls `read`)
            statements.append(sql)
        return original(sql, params)

    def counted_all(given: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        statements.extend(sql for sql, _ in given)
        inside[0] = True
        try:
            return original_all(given)
        finally:
            inside[0] = False

    page = _all_ids(ledger)[:200]
    monkeypatch.setattr(ledger.store, "read", counted)
    monkeypatch.setattr(ledger.store, "read_all", counted_all)
    read = histories_as_of(ledger, page, parse_moment(AT))
    assert len(read) == 200
    assert 0 < len(statements) <= 6, statements


def test_an_unreadable_history_is_its_person_s_answer_only(ledger: Ledger) -> None:
    at = parse_moment(AT)
    ids = [p for p, _ in Plan(ledger, at).people()][:50]
    broken = ids[7]
    raw(ledger.location.url, f"UPDATE events SET channel = 'pigeon' WHERE person_id = '{broken}'")
    with pytest.raises(InvalidInput) as alone:
        history_as_of(ledger, ledger.person(broken), at)
    read = histories_as_of(ledger, ids, at)
    with pytest.raises(InvalidInput) as paged:
        _ = read[broken].history
    assert paged.value.text == alone.value.text
    assert all(
        read[p].history == history_as_of(ledger, ledger.person(p), at) for p in ids if p != broken
    )
    plan = Plan(ledger, at)
    batched = {v.person: v for v in plan.verdicts()}
    assert batched[broken] == plan.verdict(broken, tuple(a.sender for a in batched[broken].answers))
    assert batched[broken].code == "UNDECIDED"


def _kind(event: object) -> str:
    """An event's type, and for an objection how it came (`objection/stop_sms`)."""
    via = getattr(event, "via", None)
    return str(getattr(event, "type", "")) + (f"/{via}" if via else "")
