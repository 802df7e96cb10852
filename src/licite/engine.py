"""One decision: a case in, a decision out.

`decide(case)` checks that the moment lies inside what is modelled (exit 3
otherwise), reads the history into facts, applies the rules and cites them.
The ledger and the scrub call `decide_facts` with facts of their own making.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial

from licite.case import Case, Event, Person, Request, Sender
from licite.decision import Decision, build_decision
from licite.errors import NotModelled
from licite.evidence import Fact, gather
from licite.facts import ordered, read_facts
from licite.i18n import Text
from licite.moments import PARIS
from licite.parameters import period, start
from licite.places import Place, place_of
from licite.rules import evaluate
from licite.rules.phone import calling_window_end
from licite.rules.political import election_over
from licite.situation import MOMENT_FIELDS, Ask, Facts
from licite.vocabulary import ADDRESS_OF_CHANNEL, Action, Channel, PersonKind


def decide(case: Case) -> Decision:
    """The decision for a validated case (SPEC §3)."""
    return decide_history(
        case.history,
        request=case.request,
        sender=case.sender,
        at=case.at,
        person=case.person,
        case_id=case.id,
    )


def decide_history(
    history: Iterable[Event],
    *,
    request: Request,
    sender: Sender,
    at: datetime,
    person: Person,
    case_id: str | None = None,
    address_known: bool | None = None,
) -> Decision:
    """The decision for a person and their history, however they were obtained.

    A case file and the ledger both come here: a decision from the ledger and
    a decision from a case file are the same computation (SPEC §2). `address_known`
    overrides what `person` shows of the channel's address (an erased person's address
    is unreadable, yet the ledger knows they had one).
    """
    check_modelled(request, at)
    instant = at.astimezone(UTC)  # events are held in UTC: compare like with like
    past = ordered(history, instant)
    facts = read_facts(past, request, sender.id, instant, request.offer)
    ask = make_ask(
        request,
        sender,
        at,
        person.kind,
        place_of(person.postal_code, person.phone),
        has_address=has_address(request, person) if address_known is None else address_known,
    )
    find = partial(gather, history=past, request=request, sender=sender.id, at=instant, facts=facts)
    return decide_facts(ask, facts, case=case_id, find_evidence=find)


def decide_facts(
    ask: Ask,
    facts: Facts,
    *,
    case: str | None = None,
    find_evidence: Callable[[Decision], Mapping[str, tuple[Fact, ...]]] | None = None,
) -> Decision:
    verdict = evaluate(ask, facts)
    moments = {name: moment_of(name, ask, facts) for name in verdict.expires}
    return build_decision(
        verdict, case=case, at=ask.at, moments=moments, find_evidence=find_evidence
    )


def has_address(request: Request, person: Person) -> bool:
    """A contact needs the person's address for its channel (SPEC §3, v2)."""
    if request.action is not Action.CONTACT or request.channel is None:
        return True
    return bool(getattr(person, ADDRESS_OF_CHANNEL[request.channel]))


def make_ask(
    request: Request,
    sender: Sender,
    at: datetime,
    person_kind: PersonKind,
    place: Place,
    *,
    has_address: bool = True,
) -> Ask:
    message = request.message
    return Ask(
        at=at,
        action=request.action,
        channel=request.channel,
        purpose=request.purpose,
        sector=request.sector,
        relates_to_profession=request.relates_to_profession,
        identifies_sender=message.identifies_sender if message else None,
        opt_out=message.opt_out if message else None,
        subject_related=message.subject_related if message else None,
        analysis_purpose=request.analysis_purpose,
        processing_since=request.processing_since,
        sender_kind=sender.kind,
        election_ends=sender.election_ends,
        bloctel_checked_at=sender.bloctel_checked_at,
        person_kind=person_kind,
        place=place,
        has_address=has_address,
        caller_id=request.caller_id,
    )


def moment_of(name: str, ask: Ask, facts: Facts) -> datetime | None:
    """A moment a verdict names as the lapse of its basis."""
    if name in MOMENT_FIELDS:
        value: datetime | None = getattr(facts, name)
        return value
    if name == "bloctel_fresh_until":
        checked = ask.bloctel_checked_at
        return period("bloctel_freshness", ask.at).after(checked) if checked else None
    if name == "calling_window_ends":
        return calling_window_end(ask.at.astimezone(ask.place.zone))
    if name == "election_over":
        return election_over(ask)
    if name in RULE_STARTS:
        return start(RULE_STARTS[name])
    raise KeyError(name)


RULE_STARTS: dict[str, str] = {
    "transition_ends": "correspondence_transition_ends",
    "phone_opt_in": "phone_opt_in",
    "calling_hours_from": "calling_rules",
    "caller_id_from": "caller_id",
    "energy_renovation_ban_from": "energy_renovation_phone_ban",
    "sector_ban_from": "sector_ban_extended",
    "consent_proof_from": "gdpr",
}
"""Moments a verdict may name whose value is a rule's start (law/parameters.yaml): a rule
coming into force changes an allowed decision (SPEC §3, `expires_at`)."""

_ANALYSIS_DOMAIN = Text("l'analyse des correspondances", "analysis of correspondence")
_PHONE_DOMAIN = Text("les appels téléphoniques", "phone calls")
_LCEN_DOMAIN = Text(
    "la prospection, l'opposition et la conservation", "marketing, objection and retention"
)


def modelled_from(request: Request) -> tuple[datetime, Text]:
    """The first moment at which the request's domain is modelled (SPEC §1)."""
    if request.action is Action.ANALYZE:
        return start("correspondence_decree"), _ANALYSIS_DOMAIN
    if request.channel is Channel.PHONE_CALL and request.action is Action.CONTACT:
        return start("phone_rules"), _PHONE_DOMAIN
    return start("lcen"), _LCEN_DOMAIN


def check_modelled(request: Request, at: datetime) -> None:
    first_moment, domain = modelled_from(request)
    if at < first_moment:
        day, first = at.astimezone(PARIS).date().isoformat(), first_moment.date().isoformat()
        raise NotModelled(
            Text(
                f"at : {day} — {domain.fr} ne sont modélisés qu'à partir du {first}",
                f"at: {day} — {domain.en} are only modelled from {first}",
            )
        )
