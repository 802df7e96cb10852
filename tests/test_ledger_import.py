"""Importing people and events: round trip, idempotence, bad lines, CSV, migrations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licite.errors import KeyProblem
from licite.ledger import Ledger, UnknownPerson, history_as_of, import_file, verify
from licite.ledger.schema import LATEST
from licite.ledger.suppression import import_list
from licite.moments import parse_moment
from licite.vocabulary import InteractionKind
from tests.test_ledger_support import (
    BACKENDS,
    event_line,
    open_ledger,
    person_line,
    raw,
    store_url,
    write_lines,
)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        yield located


@pytest.fixture
def ledger(url: str, tmp_path: Path) -> Iterator[Ledger]:
    with open_ledger(url, tmp_path, checkpoint_every=3) as opened:
        yield opened


LINES = [
    person_line("p1"),
    event_line("p1", "2024-06-01", "collected", method="form", purpose="commercial"),
    event_line(
        "p1",
        "2024-06-01T10:00:00+02:00",
        "consent",
        channel="email",
        purpose="commercial",
        mechanism="checkbox",
        proof={"wording_text": "Oui, je veux la lettre.", "form": "signup", "ip": "192.0.2.77"},
    ),
    event_line("p1", "2024-06-01T10:00:00+02:00", "interaction", kind="click"),
    event_line("p1", "2024-05-01T09:00:00Z", "customer", products=[" Shoes ", "BAGS"]),
]


def test_round_trip_keeps_order_values_and_offsets(ledger: Ledger, tmp_path: Path) -> None:
    report = import_file(ledger, write_lines(tmp_path / "in.jsonl", LINES))
    assert (report.persons_added, report.events_added, report.rejected) == (1, 4, [])
    history = history_as_of(ledger, ledger.person("p1"), None)
    # at order, ties in append order: the consent was appended before the click
    assert [e.type for e in history] == ["customer", "collected", "consent", "interaction"]
    rows = ledger.store.read(
        "SELECT type, at_text, products, mechanism, proof_form FROM events ORDER BY seq"
    )
    assert rows[0][:2] == ("collected", "2024-06-01T00:00:00+02:00")
    assert rows[1][3:] == ("checkbox", "signup")
    assert rows[3][1:3] == ("2024-05-01T09:00:00+00:00", '["shoes","bags"]')


def test_person_is_normalized(ledger: Ledger, tmp_path: Path) -> None:
    import_file(ledger, write_lines(tmp_path / "in.jsonl", LINES[:1]))
    person = ledger.person("p1")
    assert (person.email, person.phone, person.postal_code) == (
        "jean.dupont@example.fr",
        "+33612345678",
        "75011",
    )


def test_reimport_never_duplicates(ledger: Ledger, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "in.jsonl", LINES)
    import_file(ledger, path)
    again = import_file(ledger, path, batch_lines=2)
    assert (again.events_added, again.events_duplicate, again.persons_unchanged) == (0, 4, 1)
    assert ledger.store.read("SELECT COUNT(*) FROM events")[0][0] == 4
    verify(ledger)


def test_bad_lines_are_rejected_by_number_and_field_and_the_rest_goes_in(
    ledger: Ledger, tmp_path: Path
) -> None:
    import_file(ledger, write_lines(tmp_path / "first.jsonl", LINES))
    bad: list[dict[str, Any] | str] = [
        event_line("p1", "2024-07-01", "consent", mechanism="bogus"),
        "{not json",
        event_line("p1", "2024-07-02", "objection", channel="all", colour="red"),
        event_line("ghost", "2024-07-03", "interaction", kind="open"),
        person_line("p1", email="other@example.fr"),
        event_line("p1", "2024-07-04", "interaction", kind="reply"),
        event_line("p1", "2024-07-05", "consent", proof={"ip": "192.0.2.1", "colour": 1}),
        event_line("p1", "yesterday", "interaction", kind="open"),
    ]
    report = import_file(ledger, write_lines(tmp_path / "bad.jsonl", bad), batch_lines=3)
    problems = {line: text.en for line, text in report.rejected}
    assert sorted(problems) == [1, 2, 3, 4, 5, 7, 8]
    assert "mechanism" in problems[1] and "'bogus'" in problems[1]
    assert "column" in problems[2]
    assert "colour" in problems[3] and "unknown field" in problems[3]
    assert "ghost" in problems[4]
    assert "already recorded with different data" in problems[5]
    assert "proof.colour" in problems[7]
    assert "at" in problems[8] and "'yesterday'" in problems[8]
    assert report.events_added == 1
    assert ledger.store.read("SELECT COUNT(*) FROM events")[0][0] == 5
    verify(ledger)


def test_csv_of_people(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "id,kind,email,phone,postal_code\n"
        "c1,consumer,A@B.FR,0612345678,\n"
        "c2,professional,,+33 7 00 00 00 01,67000\n"
        "c3,martian,,,\n"
    )
    report = import_file(ledger, path)
    assert report.persons_added == 2
    assert [line for line, _ in report.rejected] == [4]
    assert ledger.person("c1").email == "a@b.fr"
    assert ledger.person("c2").postal_code == "67000"


def test_unknown_person_is_an_input_error(ledger: Ledger) -> None:
    with pytest.raises(UnknownPerson) as caught:
        ledger.person("nobody")
    assert caught.value.exit_status == 2
    assert "nobody" in caught.value.text.fr


def test_signed_checkpoints_every_n_events(ledger: Ledger, tmp_path: Path) -> None:
    import_file(ledger, write_lines(tmp_path / "in.jsonl", LINES), batch_lines=2)
    rows = ledger.store.read("SELECT event_seq FROM checkpoints ORDER BY id")
    assert rows and all(seq >= 3 for (seq,) in rows)
    assert verify(ledger).checkpoints == len(rows)


def test_a_v1_store_is_upgraded_in_place(url: str, tmp_path: Path) -> None:
    with open_ledger(url, tmp_path, schema_target=1) as old:
        import_file(old, write_lines(tmp_path / "in.jsonl", LINES))
    assert raw(url, "SELECT MAX(version) FROM schema_version") == [(1,)]
    with open_ledger(url, tmp_path) as upgraded:
        assert raw(url, "SELECT MAX(version) FROM schema_version") == [(LATEST,)]
        assert verify(upgraded).events == 4
        import_list(upgraded, "bloctel", ["06 12 34 56 78"], parse_moment("2025-01-01"))
        history = history_as_of(upgraded, upgraded.person("p1"), None)
        assert [e.type for e in history][-1] == "bloctel"


def test_wrong_key_is_named(url: str, tmp_path: Path) -> None:
    open_ledger(url, tmp_path).close()
    environ = {"LICITE_DATABASE_URL": url, "LICITE_KEY_DIR": str(tmp_path / "keys")}
    environ["LICITE_HMAC_KEY"] = "11" * 32
    with pytest.raises(KeyProblem) as caught:
        Ledger.open(url, environ=environ).close()
    assert "LICITE_HMAC_KEY" in caught.value.text.en


def test_memory_ledger_is_cheap_and_complete(tmp_path: Path) -> None:
    with Ledger.memory() as ledger:
        import_file(ledger, write_lines(tmp_path / "in.jsonl", LINES))
        assert verify(ledger).events == 4


KINDS = [k.value for k in InteractionKind]
# Events of two people at two instants: most share theirs with others.
SHARED_INSTANTS = st.lists(
    st.tuples(st.integers(1, 2), st.integers(1, 2), st.sampled_from(KINDS)), max_size=25
)


def _ranked_in_seq_order(url: str) -> None:
    """Each person's events at one instant are ranked 0, 1, 2… in the order of `seq`."""
    rows = raw(url, "SELECT person_id, at_us, seq, tie FROM events ORDER BY person_id, at_us, seq")
    ranks: dict[tuple[str, int], list[int]] = {}
    for person_id, at_us, _, tie in rows:
        ranks.setdefault((person_id, at_us), []).append(tie)
    for instant, ties in ranks.items():
        assert ties == list(range(len(ties))), (instant, ties)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=SHARED_INSTANTS, batch_lines=st.integers(1, 6))
def test_events_at_one_instant_are_ranked_in_the_order_they_were_appended(
    url: str, ledger: Ledger, tmp_path: Path, drawn: list[tuple[int, int, str]], batch_lines: int
) -> None:
    # Examples add to the same ledger: what they share is refused as duplicates.
    lines: list[dict[str, Any]] = [person_line(f"p{i}") for i in (1, 2)]
    lines += [
        event_line(f"p{person}", f"2024-06-0{day}T10:00:00+02:00", "interaction", kind=kind)
        for person, day, kind in drawn
    ]
    import_file(ledger, write_lines(tmp_path / "in.jsonl", lines), batch_lines=batch_lines)
    _ranked_in_seq_order(url)


def test_a_v3_store_is_ranked_when_upgraded_and_ranks_go_on(url: str, tmp_path: Path) -> None:
    lines = [person_line("p1"), person_line("p2", email="b@example.fr")]
    lines += [
        event_line(f"p{1 + i % 2}", f"2024-06-0{1 + i // 4}T10:00:00+02:00", "interaction", kind=k)
        for i, k in enumerate(KINDS)
    ]
    with open_ledger(url, tmp_path, schema_target=3) as old:
        import_file(old, write_lines(tmp_path / "in.jsonl", lines), batch_lines=3)
    with open_ledger(url, tmp_path) as upgraded:
        ties = raw(url, "SELECT person_id, at_us, tie FROM events ORDER BY seq")
        # p1: click, reply on the 1st, open on the 2nd; p2: documentation request, purchase
        # on the 1st, call answered on the 2nd.
        assert [tie for _, _, tie in ties] == [0, 0, 1, 1, 0, 0]
        more = [event_line("p1", "2024-06-01T10:00:00+02:00", "call", outcome="accepted")]
        import_file(upgraded, write_lines(tmp_path / "more.jsonl", more))
        assert raw(url, "SELECT tie FROM events WHERE type = 'call'") == [(2,)]
        _ranked_in_seq_order(url)
        assert verify(upgraded).events == 7
