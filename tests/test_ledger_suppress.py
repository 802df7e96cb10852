"""Opposition lists (Bloctel): imports dated by reception, merged into histories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from licite.case import Sender, load_campaign
from licite.ledger import Ledger, decide_person, effective_sender, history_as_of, import_file
from licite.ledger.suppression import import_list
from licite.moments import parse_moment
from tests.test_ledger_support import (
    BACKENDS,
    environ,
    event_line,
    open_ledger,
    person_line,
    run,
    store_url,
    write_lines,
)

CALL = load_campaign(
    {
        "id": "windows",
        "sender": {"id": "windows-co"},
        "request": {"action": "contact", "channel": "phone_call", "purpose": "commercial"},
    }
)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as located:
        yield located


@pytest.fixture
def ledger(url: str, tmp_path: Path) -> Iterator[Ledger]:
    with open_ledger(url, tmp_path) as opened:
        lines = [
            person_line("p1", phone="06 12 34 56 78"),
            person_line("p2", phone="+33 7 11 22 33 44", email="p2@example.fr"),
            event_line("p1", "2024-06-01", "collected", method="form", purpose="commercial"),
            event_line("p2", "2024-06-01", "collected", method="form", purpose="commercial"),
        ]
        import_file(opened, write_lines(tmp_path / "in.jsonl", lines))
        yield opened


def test_latest_list_at_or_before_the_moment_decides(ledger: Ledger) -> None:
    import_list(ledger, "bloctel", ["0612345678", "0033 7 00 00 00 00"], parse_moment("2025-01-01"))
    import_list(ledger, "bloctel", ["+33 7 11 22 33 44"], parse_moment("2025-02-01"))
    p1, p2 = ledger.person("p1"), ledger.person("p2")
    assert [e.type for e in history_as_of(ledger, p1, parse_moment("2024-12-31"))] == ["collected"]
    assert history_as_of(ledger, p1, parse_moment("2025-01-15"))[-1].type == "bloctel"
    # p2 was never on a list before February: the list alone says nothing about it.
    assert [e.type for e in history_as_of(ledger, p2, parse_moment("2025-01-15"))] == ["collected"]
    assert history_as_of(ledger, p1, parse_moment("2025-02-15"))[-1].type == "bloctel_removed"
    assert history_as_of(ledger, p2, parse_moment("2025-02-15"))[-1].type == "bloctel"


def test_bloctel_blocks_a_call_and_dates_the_cleaning(ledger: Ledger) -> None:
    import_list(ledger, "bloctel", ["06.12.34.56.78"], parse_moment("2025-03-01"))
    moment = parse_moment("2025-03-12T11:00:00+01:00")
    sender = effective_sender(ledger, Sender(id="windows-co"), moment)
    assert sender.bloctel_checked_at == parse_moment("2025-03-01")
    assert decide_person(ledger, "p1", CALL, moment).codes == ("BLOCTEL-REGISTERED",)
    assert decide_person(ledger, "p2", CALL, moment).basis == "OPT-OUT"
    stale = parse_moment("2025-04-12T11:00:00+02:00")
    assert "BLOCTEL-LIST-STALE" in decide_person(ledger, "p2", CALL, stale).codes


def test_a_sender_that_says_when_it_cleaned_keeps_its_date(ledger: Ledger) -> None:
    import_list(ledger, "bloctel", [], parse_moment("2025-03-01"))
    own = Sender(id="s", bloctel_checked_at=parse_moment("2025-02-20"))
    assert effective_sender(ledger, own, parse_moment("2025-03-12")) is own


def test_suppress_command_reports_bad_lines(url: str, tmp_path: Path, ledger: Ledger) -> None:
    path = tmp_path / "bloctel.txt"
    path.write_text("06 12 34 56 78\nnot a number\n\n+33 7 11 22 33 44\n")
    env = environ(url, tmp_path)
    result = run(
        [
            "--lang",
            "en",
            "suppress",
            "import",
            "--list",
            "bloctel",
            "--at",
            "2025-03-01",
            str(path),
        ],
        env,
    )
    assert result.exit_code == 2
    assert "bloctel.txt:2: not a phone number" in result.output
    assert "2 number(s) imported" in result.output
    history = run(["ledger", "history", "--person", "p1", "--at", "2025-03-02"], env)
    assert '"type": "bloctel"' in history.output
