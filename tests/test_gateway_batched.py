"""Issue 19: a message's recipients are read from the ledger at once, and decided as one
address at a time was (`licite decide --person` on each of its records).

On the retention tests' ledger (`test_retention_batched`: an opposition list received
twice, second records holding the address and number of erased ones, STOPs by SMS), on
SQLite and PostgreSQL, at several moments: `addressed_as_of` finds the same live
records as the lookup by keyed hash, with the histories `history_as_of` reads; an
address no live record holds gets the unknown person's history, the objection an
erasure left included; and `Recipients.decide` gives each address the decision the
former one-address path (`decide_stored` on each record, the first refusal kept) gave.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from licite.case import Campaign, Person, load_campaign
from licite.decision import Decision
from licite.errors import LiciteError
from licite.gateway.recipients import Recipients, normalized
from licite.ledger.crypto import keyed_hash
from licite.ledger.decide import decide_stored
from licite.ledger.deliveries import COLUMNS
from licite.ledger.erasure import erase_many
from licite.ledger.history import addressed_as_of, history_as_of
from licite.ledger.ledger import Ledger
from licite.ledger.people import StoredPerson, person_select, read_person
from licite.moments import parse_moment
from licite.retention.sample import AT, POLITICAL
from licite.vocabulary import PersonKind
from tests.test_ledger_support import BACKENDS, open_ledger, store_url
from tests.test_retention_batched import MOMENTS
from tests.test_retention_batched import ledger as ledger  # the fixture, both stores

COMMERCIAL = {
    "id": "winter-mail",
    "sender": {"id": "shop", "kind": "company"},
    "request": {"action": "contact", "channel": "email", "purpose": "commercial", "offer": "x"},
}
NOBODY = "nobody-known@example.net"


def _addresses(ledger: Ledger) -> list[str]:
    """Every address a record of the ledger holds, live or erased, and one it never knew."""
    rows = ledger.store.read(person_select(ledger.journal.schema) + " ORDER BY p.seq")
    emails = {read_person(r, ledger.epochs).email for r in rows if r[7] is None}
    return [*sorted(e for e in emails if e), NOBODY]


def _live(ledger: Ledger, digest: str) -> list[StoredPerson]:
    rows = ledger.store.read(
        person_select(ledger.journal.schema)
        + " WHERE p.email_hash = ? AND p.erased_at_us IS NULL ORDER BY p.seq",
        (digest,),
    )
    return [read_person(r, ledger.epochs) for r in rows]


def _one_at_a_time(ledger: Ledger, email: str, campaign: Campaign, at: Any) -> Decision:
    """The gateway's former path: each live record decided alone, the first refusal kept."""
    digest = keyed_hash(ledger.keys.hmac, email)
    records = _live(ledger, digest)
    if not records:
        stored = StoredPerson("", "consumer", email, None, None, digest, None, None)
        unknown = Person(kind=PersonKind.CONSUMER, email=email)
        return decide_stored(ledger, stored, unknown, campaign, at)
    decisions = [decide_stored(ledger, s, s.as_case_person(), campaign, at) for s in records]
    return next((d for d in decisions if not d.allowed), decisions[0])


def _erase_an_address_everywhere(ledger: Ledger) -> str:
    """An address whose every record is erased: the gateway finds no one, and must still
    meet the objection the erasure left (its suppression hash)."""
    rows = ledger.store.read("SELECT id FROM persons WHERE id LIKE ? ORDER BY id LIMIT 1", ("t-%",))
    twin = str(rows[0][0])
    email = ledger.person(twin).email
    assert email is not None
    erase_many(ledger, [twin], parse_moment("2026-10-01T12:00:00+02:00"))
    return email


def test_the_recipients_are_read_as_each_record_alone(ledger: Ledger) -> None:
    gone = _erase_an_address_everywhere(ledger)
    addresses = _addresses(ledger)
    assert gone not in addresses
    addresses.append(gone)
    digests = [keyed_hash(ledger.keys.hmac, str(normalized(a))) for a in addresses]
    unknown_marks = 0
    for moment in map(parse_moment, MOMENTS):
        for first in range(0, len(digests), 100):  # a message holds at most 100 recipients
            page = digests[first : first + 100]
            read = addressed_as_of(ledger, page, moment)
            assert sorted([*read.records, *read.unknown]) == sorted(set(page))
            for digest in page:
                live = _live(ledger, digest)
                if not live:
                    stub = StoredPerson("", "consumer", None, None, None, digest, None, None)
                    assert read.unknown[digest] == history_as_of(ledger, stub, moment)
                    unknown_marks += bool(read.unknown[digest])
                    continue
                assert [one.stored for one in read.records[digest]] == live
                for one, person in zip(read.records[digest], live, strict=True):
                    assert one.history == history_as_of(ledger, person, moment), person.id
    assert unknown_marks == len(MOMENTS)  # the erased address, at every moment


@pytest.mark.parametrize("document", [COMMERCIAL, POLITICAL], ids=["commercial", "political"])
@pytest.mark.parametrize("moment", [AT, "2027-03-01T09:00:00+01:00"])
def test_each_recipient_is_decided_as_one_address_at_a_time(
    ledger: Ledger, document: dict[str, Any], moment: str
) -> None:
    gone = _erase_an_address_everywhere(ledger)
    campaign = load_campaign(document, name="test")
    at = parse_moment(moment)
    addresses = [*_addresses(ledger), gone]
    allowed = 0
    for first in range(0, len(addresses), 100):
        page = addresses[first : first + 100]
        recipients = Recipients(ledger, page)
        recipients.read(at)
        decided = recipients.decide(campaign, at)
        assert [d.address for d in decided] == page
        for one in decided:
            expected = _one_at_a_time(ledger, str(normalized(one.address)), campaign, at)
            assert one.decision == expected, one.address
            allowed += one.decision.allowed
    assert 0 < allowed < len(addresses)  # both answers were there to be given


def test_a_message_reads_the_ledger_once(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """The point: one batch of statements a message (one round trip on PostgreSQL), not
    six a recipient; the caller's own statements in the same batch."""
    batches: list[int] = []
    alone: list[str] = []
    original, original_all = ledger.store.read, ledger.store.read_all
    inside = [False]

    def counted(sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if not inside[0]:
            alone.append(sql)
        return original(sql, params)

    def counted_all(given: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        batches.append(len(given))
        inside[0] = True
        try:
            return original_all(given)
        finally:
            inside[0] = False

    addresses = _addresses(ledger)[:40]
    monkeypatch.setattr(ledger.store, "read", counted)
    monkeypatch.setattr(ledger.store, "read_all", counted_all)
    recipients = Recipients(ledger, addresses)
    [campaigns] = recipients.read(parse_moment(AT), [("SELECT COUNT(*) FROM campaigns", ())])
    decided = recipients.decide(load_campaign(COMMERCIAL, name="test"), parse_moment(AT))
    assert len(decided) == 40
    assert int(campaigns[0][0]) >= 1
    assert alone == []
    assert len(batches) == 1 and batches[0] <= 9, batches


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    with store_url(request.param, tmp_path) as url, open_ledger(url, tmp_path) as opened:
        yield opened


def test_read_all_binds_values_as_values_and_survives_an_error(empty: Ledger) -> None:
    store = empty.store
    tricky = "o'k\\; DROP TABLE persons; -- é ?"
    batch: list[tuple[str, tuple[Any, ...]]] = [
        ("SELECT CAST(? AS TEXT), CAST(? AS BIGINT)", (tricky, 7)),
        ("SELECT COUNT(*) FROM persons", ()),
        ("SELECT COUNT(*) FROM persons WHERE ? IS NULL", (None,)),  # PostgreSQL cannot prepare it
    ]
    for _ in range(3):  # prepared on the first batch, executed by name after
        assert store.read_all(batch) == [[(tricky, 7)], [(0,)], [(0,)]]
    if store.dialect == "postgresql":  # the session lost its prepared statements
        store.read("DEALLOCATE ALL")
        assert store.read_all(batch) == [[(tricky, 7)], [(0,)], [(0,)]]
    with pytest.raises(LiciteError):
        store.read_all([("SELECT 1", ()), ("SELECT * FROM no_such_table", ())])
    # No transaction left open by the failure: a write and a read go on as before.
    store.append("gateway_log", COLUMNS, [("k", "c", 1, "h", None, "refused", "X", 1)])
    assert store.read_all([("SELECT codes FROM gateway_log WHERE message_key = ?", ("k",))]) == [
        [("X",)]
    ]


def test_append_writes_every_row_or_none(empty: Ledger) -> None:
    rows = [("m", "c", 1, f"h{n}", None, "delivered", "", n) for n in range(120)]
    empty.store.append("gateway_log", COLUMNS, rows)
    with pytest.raises(LiciteError):  # the last row breaks NOT NULL: none of them is kept
        empty.store.append(
            "gateway_log", COLUMNS, [*rows[:5], ("n", "c", 1, "h", None, None, "", 0)]
        )
    count = empty.store.read("SELECT message_key, COUNT(*) FROM gateway_log GROUP BY message_key")
    assert count == [("m", 120)]
