"""Reading a person's history into `Facts` for one request at one moment.

Events are taken in `at` order (equal moments keep their order); events after
the moment are ignored. "After" between two events means later in that order;
an objection is lifted only by a valid consent strictly later in time
(SPEC §1.3). Where a rule's article is the reason for a reading, it is named.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

from licite.case import (
    Bloctel,
    BloctelRemoved,
    Call,
    Collected,
    Consent,
    Contract,
    ContractEnd,
    Customer,
    CustomerEnd,
    Event,
    Interaction,
    Objection,
    OpinionInferred,
    Request,
    Withdrawal,
)
from licite.parameters import start, values_at
from licite.situation import Facts
from licite.vocabulary import (
    BOUGHT_LIST_METHODS,
    CONSENT_ANALYSIS,
    CONTACT_CONSENT_PURPOSES,
    INDIRECT_METHODS,
    POSITIVE_INTERACTIONS,
    VALID_MECHANISMS,
    Action,
    CallOutcome,
    Channel,
    ChannelOrAll,
    ConsentPurpose,
    Mechanism,
    Method,
    Purpose,
)

_ANY_CHANNEL = (None, ChannelOrAll.ALL)
_AT = attrgetter("at")
_ANALYSIS_PURPOSES = frozenset(ConsentPurpose(p.value) for p in CONSENT_ANALYSIS)


def ordered(history: Iterable[Event], at: datetime) -> list[Event]:
    """The history as it stood at `at`: in time order, file order for ties."""
    return sorted([e for e in history if e.at <= at], key=_AT)


@dataclass(slots=True)
class _Consent:
    event: Consent
    position: int
    relevant: bool
    """Of the request's domain: a contact consent for a contact, an analysis consent for one."""
    specific: bool = False
    """Covers the request's channel, purpose and sender (or its processing and purpose)."""
    withdrawn: bool = False
    """Withdrawn for the request's own scope."""
    political_withdrawn: bool = False
    """Withdrawn on the consent's own channel, for the election rule."""


class _Scope:
    """What a consent, withdrawal or objection must cover to concern this request."""

    __slots__ = ("analysis", "channel", "phone_consent", "purpose", "request", "sender")

    def __init__(self, request: Request, sender: str) -> None:
        self.request = request
        self.sender = sender
        self.analysis = request.action is Action.ANALYZE
        self.channel = _CHANNEL_OR_ALL.get(request.channel) if request.channel else None
        self.purpose = scope_purpose(request)
        self.phone_consent = (
            request.channel is Channel.PHONE_CALL and self.purpose is ConsentPurpose.COMMERCIAL
        )
        """A commercial call: the consent a refusal during a call takes back (L223-1, v2)."""

    def same_domain(self, c: Consent) -> bool:
        """Analysis consents answer analysis requests; contact consents answer contacts."""
        is_analysis = c.processing is not None or c.purpose in _ANALYSIS_PURPOSES
        return is_analysis == self.analysis

    def specific(self, c: Consent) -> bool:
        """The consent covers this request's channel, purpose and sender (or processing)."""
        if (c.sender or self.sender) != self.sender:
            return False
        if self.analysis:
            return c.processing == self.request.processing and c.purpose == self.purpose
        return (c.channel in _ANY_CHANNEL or c.channel == self.channel) and (
            c.purpose is None or c.purpose == self.purpose
        )

    def withdraws(self, w: Withdrawal) -> bool:
        if (w.sender or self.sender) not in (self.sender, "all"):
            return False
        if self.analysis:
            return (
                w.channel in _ANY_CHANNEL
                and w.processing in (None, self.request.processing)
                and w.purpose in (None, self.purpose)
            )
        return (
            w.processing is None
            and w.purpose in (None, self.purpose)
            and (w.channel in _ANY_CHANNEL or w.channel == self.channel)
        )

    def objects(self, o: Objection) -> bool:
        return (o.sender or self.sender) in (self.sender, "all") and (
            o.channel in _ANY_CHANNEL or o.channel == self.channel
        )


_CHANNEL_OR_ALL = {c.value: ChannelOrAll(c.value) for c in Channel}
_CONSENT_PURPOSE = {p.value: p for p in ConsentPurpose}


def scope_purpose(request: Request) -> ConsentPurpose | None:
    """The purpose a consent must name to cover the request (a transactional message: none
    needed, read as commercial; an analysis: its purpose when consent can cover it)."""
    if request.action is Action.ANALYZE:
        return _CONSENT_PURPOSE.get(request.analysis_purpose or "")
    if request.purpose and request.purpose is not Purpose.TRANSACTIONAL:
        return _CONSENT_PURPOSE[request.purpose]
    return ConsentPurpose.COMMERCIAL


def related_labels(request: Request, offer: str | None = None) -> tuple[str, ...]:
    """The labels a contract's object or a product bought must equal for the offer to relate
    to it or be analogous: the offer and the categories the request declares (v2)."""
    offer = offer if offer is not None else request.offer
    return (offer, *request.analogous) if offer is not None else tuple(request.analogous)


def read_facts(
    history: Sequence[Event], request: Request, sender: str, at: datetime, offer: str | None
) -> Facts:
    """The facts of `history` for `request` by `sender` at `at` (history already ordered)."""
    if not history:
        return Facts()
    scope = _Scope(request, sender)
    law = values_at(at)  # the law's periods and caps in force at the moment
    related = set(related_labels(request, offer))
    collected: Collected | None = None
    collected_position = -1
    direct_collection_at: datetime | None = None
    first_indirect_at: datetime | None = None
    consents: list[_Consent] = []
    objection_at: datetime | None = None
    suppression_from: datetime | None = None
    products: set[str] = set()
    customer = False
    relationship_end: datetime | None = None  # the last purchase or end of the relationship
    contracts: dict[str, bool] = {}
    bloctel = opinion = False
    last_positive: datetime | None = None
    calls_from: datetime | None = None  # computed at the first call
    recent_calls = 0
    refused = elsewhere = False

    for position, event in enumerate(history):
        if isinstance(event, Collected):
            collected, collected_position = event, position
            # CNIL SAN-2024-020 (Kaspr): an indirect re-collection never restarts the clock.
            if event.method in INDIRECT_METHODS:
                first_indirect_at = first_indirect_at or event.at
            else:
                direct_collection_at = event.at
        elif isinstance(event, Consent):
            consent = _Consent(event, position, scope.same_domain(event))
            consent.specific = consent.relevant and scope.specific(event)
            elsewhere = elsewhere or (consent.relevant and not consent.specific)
            consents.append(consent)
            if (event.sender or sender) == sender and _sound(event.mechanism):
                last_positive = event.at  # a valid consent is a positive act (CNIL référentiel)
        elif isinstance(event, Interaction):  # the most frequent event: tested early
            if (event.sender or sender) == sender and event.kind in POSITIVE_INTERACTIONS:
                last_positive = event.at
        elif isinstance(event, Withdrawal):
            _withdraw(consents, event, scope, sender)
        elif isinstance(event, Objection):
            if (event.sender or sender) in (sender, "all"):
                suppression_from = event.at
                if scope.objects(event):
                    objection_at = event.at
        elif isinstance(event, Customer):
            if (event.sender or sender) == sender:
                customer = True
                relationship_end = event.at  # a purchase without a contract: a one-off
                products.update(event.products)
        elif isinstance(event, CustomerEnd):
            if (event.sender or sender) == sender and (customer or contracts):
                relationship_end = event.at
        elif isinstance(event, Contract):
            if (event.sender or sender) == sender:
                contracts[event.object or ""] = True
        elif isinstance(event, ContractEnd):
            if (event.sender or sender) == sender and contracts:
                if event.object is None:
                    contracts = dict.fromkeys(contracts, False)
                else:
                    contracts[event.object] = False
                relationship_end = event.at
        elif isinstance(event, Call):
            if (event.sender or sender) == sender:
                # D. 223-9: "in the N days before" is the window [at − N days, at);
                # after a refusal, no call while at < refusal + the cooldown.
                if calls_from is None:
                    calls_from = law["call_window"].before(at)
                if calls_from <= event.at < at:
                    recent_calls += 1
                if event.outcome is CallOutcome.REFUSED:
                    if at < law["refusal_cooldown"].after(event.at):
                        refused = True
                    # From the phone reform a refusal during a call takes back the phone
                    # consent given before it (C. consom. L223-1 al. 2, loi n° 2025-594).
                    if scope.phone_consent and event.at >= start("phone_opt_in"):
                        for c in consents:
                            c.withdrawn = c.withdrawn or c.relevant
        elif isinstance(event, Bloctel):
            bloctel = True
        elif isinstance(event, BloctelRemoved):
            bloctel = False
        elif isinstance(event, OpinionInferred):
            opinion = True

    # A consent a third party collected for a buyer counts only when the
    # list's own consent holds (RGPD art. 6, 7(1); CNIL SAN-2022-021, SAN-2023-015).
    bought_list_unsound = collected is not None and _bought_list_unsound(collected, at)

    specific = [c for c in consents if c.specific]
    valid: list[_Consent] = []
    expired = False
    for c in specific:
        if c.withdrawn or not _sound(c.event.mechanism):
            continue
        if bought_list_unsound and not scope.analysis and c.position <= collected_position:
            continue
        if scope.analysis and at >= law["analysis_consent"].after(c.event.at):
            expired = True  # D. 98-5 I: renewed every year
            continue
        valid.append(c)
    # A flawed consent explains a refusal whether or not it covered this request: a
    # pre-ticked box for SMS is both the wrong channel and no consent (RGPD art. 4(11)).
    flaws = {c.event.mechanism for c in consents if c.relevant}
    latest_valid = max((c.event.at for c in valid), default=None)

    # CNIL référentiel: the clock runs from the latest direct collection, else the first
    # indirect one, else the first event; a current contract makes a customer, kept while
    # it lasts; a purchase or a relationship that ended leaves a former customer.
    collection_at = direct_collection_at or first_indirect_at or history[0].at
    contract_current = any(contracts.values())
    current_customer = contract_current
    if current_customer:
        retention_ends = None
    elif relationship_end is not None:
        anchor = _later(relationship_end, last_positive) or relationship_end
        retention_ends = law["customer_retention"].after(anchor)
    else:
        anchor = _later(collection_at, last_positive) or collection_at
        retention_ends = law["prospect_retention"].after(anchor)
    suppression_ends = (
        law["suppression_record"].after(suppression_from) if suppression_from else None
    )
    inform_deadline = law["inform_delay"].after(collected.at) if collected is not None else None

    return Facts(
        known=True,
        collected=collected is not None,
        method=collected.method if collected else None,
        collected_purpose=collected.purpose if collected else None,
        terms_forbid_reuse=bool(collected and collected.terms_forbid_reuse),
        informed=bool(collected and _informed(collected, at)),
        inform_window_open=inform_deadline is not None and at < inform_deadline,
        opt_out_offered=bool(collected and collected.opt_out_offered),
        partner_consent=bool(collected and collected.partner_consent and collected.partners_named),
        consent_proof=bool(collected and collected.consent_proof),
        consent=bool(valid),
        consent_withdrawn=any(c.withdrawn for c in specific),
        consent_expired=expired,
        consent_via_terms=Mechanism.TERMS_ACCEPTANCE in flaws,
        consent_preticked=Mechanism.PRETICKED in flaws,
        consent_misleading=Mechanism.MISLEADING_DESIGN in flaws,
        consent_implicit=Mechanism.IMPLICIT in flaws,
        # SPEC 1.1 (v2): an analysis consent for this processing and purpose that expired or
        # was withdrawn is not "another" consent.
        consent_elsewhere=elsewhere and not (scope.analysis and specific),
        consent_outside_hours=any(c.event.outside_hours for c in valid),
        objected=objection_at is not None
        and not (latest_valid is not None and latest_valid > objection_at),
        customer=customer,
        current_customer=current_customer,
        offer_analogous=not related.isdisjoint(products),
        contract_related=any(contracts.get(o, False) for o in related),
        contract_current=contract_current,
        bloctel_registered=bloctel,
        calls_capped=recent_calls >= law["call_cap"],
        refused_recently=refused,
        opinion_inferred=opinion,
        regular_contact=collected is not None and collected.method is Method.REGULAR_CONTACT,
        political_consent=_political_consent(consents, sender),
        within_retention=retention_ends is None or at < retention_ends,
        suppression=suppression_ends is not None and at < suppression_ends,
        consent_expires=law["analysis_consent"].after(latest_valid)
        if scope.analysis and latest_valid
        else None,
        retention_ends=retention_ends,
        suppression_ends=suppression_ends,
        inform_deadline=inform_deadline,
    )


def _sound(mechanism: Mechanism | None) -> bool:
    """GDPR art. 4(11): only an affirmative, specific act is consent (absent: none recorded)."""
    return mechanism is None or mechanism in VALID_MECHANISMS


def _informed(collected: Collected, at: datetime) -> bool:
    return bool(collected.informed) or (
        collected.informed_at is not None and collected.informed_at <= at
    )


def _bought_list_unsound(collected: Collected, at: datetime) -> bool:
    if collected.method not in BOUGHT_LIST_METHODS:
        return False
    if not (collected.partner_consent and collected.partners_named):
        return True
    return at >= start("gdpr") and not collected.consent_proof


def _withdraw(consents: list[_Consent], w: Withdrawal, scope: _Scope, sender: str) -> None:
    """Mark the consents this withdrawal ends; withdrawals only reach back in time."""
    concerns_request = scope.withdraws(w)
    for c in consents:
        if concerns_request and c.relevant:
            c.withdrawn = True
        if _withdraws_political(w, c.event, sender):
            c.political_withdrawn = True


def _withdraws_political(w: Withdrawal, c: Consent, sender: str) -> bool:
    """For the election rule: a withdrawal ends a political consent on the channels it names."""
    return (
        c.purpose is ConsentPurpose.POLITICAL
        and (w.sender or sender) in (sender, "all")
        and w.processing is None
        and w.purpose in (None, ConsentPurpose.POLITICAL)
        and (w.channel in _ANY_CHANNEL or w.channel == c.channel)
    )


def _political_consent(consents: list[_Consent], sender: str) -> bool:
    """Consent to political communication from this sender, on any channel (CNIL 2012-020)."""
    return any(
        c.event.purpose is ConsentPurpose.POLITICAL
        and (c.event.sender or sender) == sender
        and _sound(c.event.mechanism)
        and not c.political_withdrawn
        for c in consents
    )


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


__all__ = ["CONTACT_CONSENT_PURPOSES", "ordered", "read_facts", "related_labels"]
