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
from typing import Any

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
from licite.facts.declared import PERIODS, compiled
from licite.facts.scope import Scope, related_labels, scope_purpose
from licite.parameters import values_at
from licite.situation import Facts
from licite.vocabulary import (
    BOUGHT_LIST_METHODS,
    INDIRECT_METHODS,
    ChannelOrAll,
    Method,
)

_ANY_CHANNEL = (None, ChannelOrAll.ALL)
_AT = attrgetter("at")


def ordered(history: Iterable[Event], at: datetime) -> list[Event]:
    """The history as it stood at `at`: in time order, file order for ties."""
    return sorted([e for e in history if e.at <= at], key=_AT)


@dataclass(slots=True)
class _Consent:
    event: Consent
    position: int
    specific: bool
    """Of the request's domain (a contact consent for a contact, an analysis consent for
    one) and covering its channel, purpose and sender (or its processing and purpose)."""
    withdrawn: bool = False
    """Withdrawn for the request's own scope."""
    political_withdrawn: bool = False
    """Withdrawn on the consent's own channel, for the election rule."""


def read_facts(
    history: Sequence[Event], request: Request, sender: str, at: datetime, offer: str | None
) -> Facts:
    """The facts of `history` for `request` by `sender` at `at` (history already ordered).

    Which events count for each fact is declared in `licite.facts.declared` (`d.<name>`
    below, each a compiled condition of an event and the scope); this function folds them
    in time order."""
    if not history:
        return Facts()
    q = Scope(request, sender, at, offer)
    d = compiled()
    law = values_at(at)  # the law's periods and caps in force at the moment
    collected: Collected | None = None
    collected_position = -1
    direct_collection_at: datetime | None = None
    first_indirect_at: datetime | None = None
    consents: list[_Consent] = []
    objection_at: datetime | None = None
    suppression_from: datetime | None = None
    customer = offer_analogous = False
    relationship_end: datetime | None = None  # the last purchase or end of the relationship
    contracts: dict[str, bool] = {}
    bloctel = opinion = False
    last_positive: datetime | None = None
    recent_calls = 0
    refused = elsewhere = False
    via_terms = preticked = misleading = implicit = False

    for position, event in enumerate(history):
        if isinstance(event, Collected):
            collected, collected_position = event, position
            # CNIL SAN-2024-020 (Kaspr): an indirect re-collection never restarts the clock.
            if event.method in INDIRECT_METHODS:
                first_indirect_at = first_indirect_at or event.at
            else:
                direct_collection_at = event.at
        elif isinstance(event, Consent):
            consent = _Consent(event, position, d.specific(event, q))
            elsewhere = elsewhere or d.consent_elsewhere(event, q)
            via_terms = via_terms or d.consent_via_terms(event, q)
            preticked = preticked or d.consent_preticked(event, q)
            misleading = misleading or d.consent_misleading(event, q)
            implicit = implicit or d.consent_implicit(event, q)
            consents.append(consent)
            if d.positive_consent(event, q):
                last_positive = event.at  # a valid consent is a positive act (CNIL référentiel)
        elif isinstance(event, Interaction):  # the most frequent event: tested early
            if d.positive_interaction(event, q):
                last_positive = event.at
        elif isinstance(event, Withdrawal):
            _withdraw(consents, event, q, d)
        elif isinstance(event, Objection):
            if d.objection(event, q):
                suppression_from = event.at
            if d.objection_here(event, q):
                objection_at = event.at
        elif isinstance(event, Customer):
            if d.customer(event, q):
                customer = True
                relationship_end = event.at  # a purchase without a contract: a one-off
            offer_analogous = offer_analogous or d.offer_analogous(event, q)
        elif isinstance(event, CustomerEnd):
            if d.customer_end(event, q) and (customer or contracts):
                relationship_end = event.at
        elif isinstance(event, Contract):
            if d.contract(event, q):
                contracts[event.object or ""] = True
        elif isinstance(event, ContractEnd):
            if d.contract_end(event, q) and contracts:
                if event.object is None:
                    contracts = dict.fromkeys(contracts, False)
                else:
                    contracts[event.object] = False
                relationship_end = event.at
        elif isinstance(event, Call):
            if d.recent_call(event, q):
                recent_calls += 1
            # D. 223-9: after a refusal, no call while at < refusal + the cooldown.
            if d.refusal(event, q) and at < law[PERIODS["refusal"]].after(event.at):
                refused = True
            # From the phone reform a refusal during a call takes back the phone consent
            # given before it (C. consom. L223-1 al. 2, loi n° 2025-594).
            if d.refusal_withdrawal(event, q):
                for c in consents:
                    c.withdrawn = c.withdrawn or c.specific
        elif isinstance(event, Bloctel):
            bloctel = True
        elif isinstance(event, BloctelRemoved):
            bloctel = False
        elif isinstance(event, OpinionInferred):
            opinion = opinion or d.opinion_inferred(event, q)

    # A consent a third party collected for a buyer counts only when the
    # list's own consent holds (RGPD art. 6, 7(1); CNIL SAN-2022-021, SAN-2023-015).
    bought_list_unsound = (
        collected is not None
        and collected.method in BOUGHT_LIST_METHODS
        and _bought_list_unsound(collected, at, q)
    )

    # The folds below skip their generators when there is nothing to fold (most
    # histories hold no contract and at most one consent): a tenth of the reading's time.
    specific = [c for c in consents if c.specific] if consents else consents
    valid: list[_Consent] = []
    expired = False
    for c in specific:
        if c.withdrawn or not d.sound(c.event, q):
            continue
        if bought_list_unsound and not q.analysis and c.position <= collected_position:
            continue
        if q.analysis and at >= law[PERIODS["analysis_consent"]].after(c.event.at):
            expired = True  # D. 98-5 I: renewed every year
            continue
        valid.append(c)
    latest_valid = max(c.event.at for c in valid) if valid else None

    # CNIL référentiel: the clock runs from the latest direct collection, else the first
    # indirect one, else the first event; a current contract makes a customer, kept while
    # it lasts; a purchase or a relationship that ended leaves a former customer.
    collection_at = direct_collection_at or first_indirect_at or history[0].at
    contract_current = bool(contracts) and any(contracts.values())
    current_customer = contract_current
    if current_customer:
        retention_ends = None
    elif relationship_end is not None:
        anchor = _later(relationship_end, last_positive) or relationship_end
        retention_ends = law[PERIODS["former_customer"]].after(anchor)
    else:
        anchor = _later(collection_at, last_positive) or collection_at
        retention_ends = law[PERIODS["prospect"]].after(anchor)
    suppression_ends = (
        law[PERIODS["suppression"]].after(suppression_from) if suppression_from else None
    )
    inform_deadline = law[PERIODS["inform"]].after(collected.at) if collected is not None else None

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
        consent_withdrawn=bool(specific) and any(c.withdrawn for c in specific),
        consent_expired=expired,
        # A flawed consent explains a refusal whether or not it covered this request: a
        # pre-ticked box for SMS is both the wrong channel and no consent (RGPD art. 4(11)).
        consent_via_terms=via_terms,
        consent_preticked=preticked,
        consent_misleading=misleading,
        consent_implicit=implicit,
        # SPEC 1.1 (v2): an analysis consent for this processing and purpose that expired or
        # was withdrawn is not "another" consent.
        consent_elsewhere=elsewhere and not (q.analysis and specific),
        consent_outside_hours=bool(valid) and any(c.event.outside_hours for c in valid),
        objected=objection_at is not None
        and not (latest_valid is not None and latest_valid > objection_at),
        customer=customer,
        current_customer=current_customer,
        offer_analogous=offer_analogous,
        contract_related=bool(contracts) and any(contracts.get(o, False) for o in q.related),
        contract_current=contract_current,
        bloctel_registered=bloctel,
        calls_capped=recent_calls >= law[PERIODS["call_cap"]],
        refused_recently=refused,
        opinion_inferred=opinion,
        regular_contact=collected is not None and collected.method is Method.REGULAR_CONTACT,
        political_consent=bool(consents)
        and any(d.political_consent(c.event, q) and not c.political_withdrawn for c in consents),
        within_retention=retention_ends is None or at < retention_ends,
        suppression=suppression_ends is not None and at < suppression_ends,
        consent_expires=law[PERIODS["analysis_consent"]].after(latest_valid)
        if q.analysis and latest_valid
        else None,
        retention_ends=retention_ends,
        suppression_ends=suppression_ends,
        inform_deadline=inform_deadline,
    )


def _informed(collected: Collected, at: datetime) -> bool:
    return bool(collected.informed) or (
        collected.informed_at is not None and collected.informed_at <= at
    )


def _bought_list_unsound(collected: Collected, at: datetime, q: Scope) -> bool:
    """For a list bought or rented (the caller checked the method)."""
    if not (collected.partner_consent and collected.partners_named):
        return True
    return at >= q.gdpr and not collected.consent_proof


def _withdraw(consents: list[_Consent], w: Withdrawal, q: Scope, d: Any) -> None:
    """Mark the consents this withdrawal ends; withdrawals only reach back in time. For the
    election rule, a withdrawal ends a political consent on the channels it names."""
    concerns_request = d.withdrawal(w, q)
    political = d.political_withdrawal(w, q)
    for c in consents:
        if concerns_request and c.specific:
            c.withdrawn = True
        if political and (w.channel in _ANY_CHANNEL or w.channel == c.event.channel):
            c.political_withdrawn = True


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


__all__ = ["ordered", "read_facts", "related_labels", "scope_purpose"]
