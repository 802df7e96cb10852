"""Grouped commits (issue 18): requests that arrive together are committed together, and
one refused request refuses only itself; STOPs too, and a redelivered message among them
records nothing new."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest

from licite.errors import LiciteError
from licite.i18n import Text
from licite.ledger import Ledger
from licite.ledger.crypto import keyed_hash
from licite.moments import PARIS
from licite.service.grouped import Group, Grouped
from licite.service.stops import Message, messages_group
from tests.test_ledger_support import BACKENDS, raw, store_url
from tests.test_person_support import Person, person_side


def _objection(person: str) -> list[dict[str, Any]]:
    at = datetime.now(PARIS).isoformat()
    return [{"person": person, "at": at, "type": "objection", "channel": "email", "via": "form"}]


def _together(side: Person, people: list[str]) -> dict[str, str]:
    grouped = Grouped(window=0.2)
    start = threading.Barrier(len(people))
    outcome: dict[str, str] = {}

    def one(person: str) -> None:
        mine: Ledger = side.ledger()  # one connection a thread, as the service has
        start.wait()
        try:
            grouped.append(lambda: mine, _objection(person))
            outcome[person] = "ok"
        except LiciteError as error:
            outcome[person] = error.text.en
        finally:
            mine.close()

    threads = [threading.Thread(target=one, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcome


@pytest.mark.parametrize("backend", BACKENDS)
def test_requests_together_are_one_commit(backend: str, tmp_path: Path) -> None:
    with store_url(backend, tmp_path) as url, person_side(url, tmp_path) as side:
        before = int(raw(url, "SELECT max(seq) FROM events")[0][0])
        assert _together(side, ["p1", "p2"]) == {"p1": "ok", "p2": "ok"}
        moments = raw(url, f"SELECT DISTINCT recorded_at_us FROM events WHERE seq > {before}")
        assert len(moments) == 1  # one transaction
        assert int(raw(url, "SELECT count(*) FROM events")[0][0]) == before + 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_together_in_one_commit_and_a_refusal_stays_its_own(backend: str, tmp_path: Path) -> None:
    with store_url(backend, tmp_path) as url, person_side(url, tmp_path) as side:
        before = int(raw(url, "SELECT count(*) FROM events")[0][0])
        head_before = int(raw(url, "SELECT event_seq FROM heads")[0][0])
        outcome = _together(side, ["p1", "p2", "ghost"])
        assert outcome["p1"] == "ok" and outcome["p2"] == "ok"
        assert "ghost" in outcome["ghost"]
        assert int(raw(url, "SELECT count(*) FROM events")[0][0]) == before + 2
        assert int(raw(url, "SELECT event_seq FROM heads")[0][0]) == head_before + 2
        for person in ("p1", "p2"):
            assert side.decide(person, "email")["allowed"] is False


def _stops(side: Person, messages: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """`messages` (id, number) sent by as many threads at once; each one's answer."""
    group = messages_group(window=0.2)
    start = threading.Barrier(len(messages))
    answers: list[dict[str, Any]] = [{} for _ in messages]

    def one(index: int) -> None:
        mine: Ledger = side.ledger()
        message_id, number = messages[index]
        message = Message(
            message_id, keyed_hash(mine.keys.hmac, number), True, "all", datetime.now(PARIS)
        )
        start.wait()
        try:
            answers[index] = group.submit(lambda: mine, message)
        finally:
            mine.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(messages))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


ANNE = "+33612345678"


@pytest.mark.parametrize("backend", BACKENDS)
def test_stops_together_are_one_commit(backend: str, tmp_path: Path) -> None:
    with store_url(backend, tmp_path) as url, person_side(url, tmp_path) as side:
        before = int(raw(url, "SELECT count(*) FROM events")[0][0])
        answers = _stops(side, [("m1", ANNE), ("m2", "+33698765432"), ("m3", ANNE)])
        assert [(a["message_id"], a["persons"], a["redelivered"]) for a in answers] == [
            ("m1", 1, False),
            ("m2", 0, False),
            ("m3", 1, False),
        ]
        assert raw(url, "SELECT count(DISTINCT received_at_us) FROM sms_inbound") == [(1,)]
        assert int(raw(url, "SELECT count(*) FROM events")[0][0]) == before + 2
        assert side.decide("p1", "sms")["allowed"] is False


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_redelivered_stop_in_a_group_records_nothing_new(backend: str, tmp_path: Path) -> None:
    with store_url(backend, tmp_path) as url, person_side(url, tmp_path) as side:
        assert _stops(side, [("m1", ANNE)])[0]["redelivered"] is False
        before = int(raw(url, "SELECT count(*) FROM events")[0][0])
        # m1 again, m2 new, and m3 twice in the same group.
        answers = _stops(side, [("m1", ANNE), ("m2", ANNE), ("m3", ANNE), ("m3", ANNE)])
        assert [a["redelivered"] for a in answers[:2]] == [True, False]
        assert sorted(a["redelivered"] for a in answers[2:]) == [False, True]
        assert all(a["persons"] == 1 and a["stop"] is True for a in answers)
        assert int(raw(url, "SELECT count(*) FROM events")[0][0]) == before + 2
        assert raw(url, "SELECT count(*) FROM sms_inbound") == [(3,)]


def _pipeline(items: list[str]) -> tuple[list[list[str]], dict[str, str]]:
    """`items[0]` submitted first and its commit held; the others submitted meanwhile."""
    batches: list[list[str]] = []
    overlapping: list[bool] = []
    held = threading.Event()
    started = threading.Event()

    def commit(_: Ledger, group: list[str]) -> list[str]:
        batches.append(list(group))
        overlapping.append(len(batches) > 1 and not held.is_set())
        if len(batches) == 1:
            started.set()
            held.wait(10)
        if len(group) > 1 and "bad" in group:
            raise LiciteError(Text("refusé", "refused"))
        if group == ["bad"]:
            raise LiciteError(Text("refusé seul", "refused alone"))
        return [f"done {item}" for item in group]

    group: Group[str, str] = Group(commit)
    answers: dict[str, str] = {}

    def one(item: str) -> None:
        try:
            answers[item] = group.submit(lambda: cast(Ledger, None), item)
        except LiciteError as error:
            answers[item] = error.text.en

    first = threading.Thread(target=one, args=(items[0],))
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=one, args=(item,)) for item in items[1:]]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while len(group._pending) < len(others) and time.monotonic() < deadline:
        time.sleep(0.01)
    held.set()
    for thread in [first, *others]:
        thread.join(10)
    assert not any(overlapping)  # one commit at a time
    return batches, answers


def test_what_arrives_during_a_commit_is_the_next_commit() -> None:
    batches, answers = _pipeline(["a", "b", "c", "d"])
    assert batches[0] == ["a"] and sorted(batches[1]) == ["b", "c", "d"]
    assert len(batches) == 2  # b, c and d waited for a's commit, then went in one
    assert answers == {item: f"done {item}" for item in "abcd"}


def test_a_refused_group_is_committed_one_by_one() -> None:
    batches, answers = _pipeline(["a", "b", "bad", "c"])
    assert sorted(batches[1]) == ["b", "bad", "c"]
    assert sorted(map(tuple, batches[2:])) == [("b",), ("bad",), ("c",)]
    assert answers == {"a": "done a", "b": "done b", "c": "done c", "bad": "refused alone"}
