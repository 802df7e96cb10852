"""Properties of the SPEC v2 readings that hold for every history (SPEC 1.5, 1.6, §3)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from licite.case import load_case
from licite.engine import decide
from licite.errors import NotModelled
from licite.facts import ordered, read_facts
from licite.moments import parse_moment
from licite.parameters import start
from licite.vocabulary import ADDRESS_OF_CHANNEL, INDIRECT_METHODS, Channel
from tests.strategies import SENDER, cases, contact_requests, requests

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
INDIRECT = sorted(m.value for m in INDIRECT_METHODS)


def _retention_ends(document: dict[str, Any]) -> datetime | None:
    case = load_case(copy.deepcopy(document))
    instant = case.at
    past = ordered(case.history, instant)
    facts = read_facts(past, case.request, case.sender.id, instant, case.request.offer)
    return facts.retention_ends


@SETTINGS
@given(cases(requests), st.data())
def test_an_indirect_collection_never_extends_retention(
    document: dict[str, Any], data: st.DataObject
) -> None:
    # CNIL SAN-2024-020 (Kaspr): scraped, bought or enriched again, the clock keeps running.
    # With no collection yet, the clock runs from the first event: SPEC 1.6 makes the first
    # collection the start, so the property is about histories that hold one.
    at = parse_moment(document["at"])
    assume(
        any(e["type"] == "collected" and parse_moment(e["at"]) <= at for e in document["history"])
    )
    moments = [parse_moment(e["at"]) for e in document["history"]]
    last = max(m for m in moments if m <= at) if any(m <= at for m in moments) else at
    assume(last <= at)
    minutes = int((at - last).total_seconds() // 60)
    when = last + timedelta(minutes=data.draw(st.integers(0, max(minutes, 0))))
    recollected = copy.deepcopy(document)
    recollected["history"].append(
        {
            "at": when.isoformat(),
            "type": "collected",
            "method": data.draw(st.sampled_from(INDIRECT)),
            "informed": True,
            "purpose": "commercial",
        }
    )
    before, after = _retention_ends(document), _retention_ends(recollected)
    if before is None:
        return  # kept while a contract lasts: a collection changes nothing to it
    assert after is not None and after <= before


@SETTINGS
@given(cases(contact_requests))
def test_a_contact_without_the_channels_address_is_never_allowed(
    document: dict[str, Any],
) -> None:
    channel = Channel(document["request"]["channel"])
    person = dict(document["person"])
    person.pop(ADDRESS_OF_CHANNEL[channel], None)
    try:
        decision = decide(load_case({**copy.deepcopy(document), "person": person}))
    except NotModelled:
        assume(False)
        raise
    assert not decision.allowed
    assert "NO-ADDRESS" in decision.codes


phone_requests = st.fixed_dictionaries(
    {
        "action": st.just("contact"),
        "channel": st.just("phone_call"),
        "purpose": st.just("commercial"),
        "offer": st.sampled_from(["windows", "shoes"]),
        "sector": st.sampled_from([None, None, "press"]),
    }
).map(lambda r: {k: v for k, v in r.items() if v is not None})


@SETTINGS
@given(cases(phone_requests), st.data())
def test_a_refused_call_never_turns_a_refusal_into_a_permission(
    document: dict[str, Any], data: st.DataObject
) -> None:
    at = parse_moment(document["at"])
    assume(at > start("phone_opt_in"))
    span = int((at - start("phone_opt_in")).total_seconds() // 60)
    refusal = {
        "at": (at - timedelta(minutes=data.draw(st.integers(0, span)))).isoformat(),
        "type": "call",
        "outcome": "refused",
        "sender": data.draw(st.sampled_from([SENDER, "partner"])),
    }
    try:
        before = decide(load_case(copy.deepcopy(document)))
        refused = copy.deepcopy(document)
        refused["history"].append(refusal)
        after = decide(load_case(refused))
    except NotModelled:
        assume(False)
        raise
    if not before.allowed:
        assert not after.allowed, (before.codes, after.codes)
    if after.allowed and refusal["sender"] == SENDER and document["person"]["kind"] == "consumer":
        # The consent taken back: only a contract, the press or a consent given after the
        # refusal still allows the call.
        assert after.basis in ("CONTRACT", "PRESS-EXCEPTION", "CONSENT")
