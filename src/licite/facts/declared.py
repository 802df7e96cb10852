"""Which events each fact reads: declared once, for `licite decide` and for the scrub.

Each `Selection` names an event type and the condition (`licite.facts.expr`) an event of
that type must meet to count for the fact, with the dated parameter (law/parameters.yaml)
its period or cap comes from. `licite.facts.reader` (the engine's reader, one history at
a time) calls them compiled to Python; `licite.scrub.facts_sql` (the scrub, a whole list
in DuckDB) writes them into its SQL. Changing a reading — a withdrawal's reach, what
counts as a positive act, which calls count towards the cap — is one edit here, and both
paths change; `tests/test_fact_declarations.py` proves it by changing declarations and
comparing the two paths.

How each selection folds over a history (the latest, any, a count in a window, the last
one after another) is written in each reader, named in each selection's `fold` and held
to the same answers by the differential test (tests/test_scrub_differential.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

from licite.facts.expr import (
    TRUE,
    Expr,
    If,
    In,
    Missing,
    Overlaps,
    Param,
    Predicate,
    SenderIs,
    Since,
    compile_predicate,
    eq,
    is_param,
)
from licite.vocabulary import (
    CONSENT_ANALYSIS,
    POSITIVE_INTERACTIONS,
    VALID_MECHANISMS,
    CallOutcome,
    ChannelOrAll,
    ConsentPurpose,
    Mechanism,
    Via,
)


@dataclass(frozen=True, slots=True)
class Selection:
    """The events of type `event` that meet `when` count for `fact`."""

    event: str
    when: Expr
    fact: str
    fold: str
    """How the reader folds the selected events (the latest, any, a count…)."""
    articles: tuple[str, ...] = field(default=())


# Building blocks ----------------------------------------------------------------------

MINE = SenderIs()
"""The event's sender (a missing one: the request's) is the request's."""
MINE_OR_ALL = SenderIs(or_all=True)
"""… or names every sender ("all")."""
ANY_CHANNEL = Missing("channel") | eq("channel", ChannelOrAll.ALL)
SOUND = Missing("mechanism") | In("mechanism", VALID_MECHANISMS)
"""GDPR art. 4(11): an affirmative, specific act (none recorded: taken as given)."""
ANALYSIS_CONSENT = ~Missing("processing") | In("purpose", CONSENT_ANALYSIS)
"""A consent to the analysis of correspondence rather than to being contacted."""
SAME_DOMAIN = If(Param("analysis"), ANALYSIS_CONSENT, ~ANALYSIS_CONSENT)
"""Analysis consents answer analysis requests; contact consents answer contacts."""
THIS_PURPOSE = Missing("purpose") | is_param("purpose", "pu")
THIS_CHANNEL = ANY_CHANNEL | is_param("channel", "ch")
COVERS = MINE & If(
    Param("analysis"),
    is_param("processing", "proc") & is_param("purpose", "pu"),
    THIS_CHANNEL & THIS_PURPOSE,
)
"""The consent covers this request's channel, purpose and sender (or its processing)."""
REFUSED = eq("outcome", CallOutcome.REFUSED)


def _flaw(mechanism: Mechanism) -> Expr:
    return SAME_DOMAIN & eq("mechanism", mechanism)


# The declarations ---------------------------------------------------------------------

DECLARED: Mapping[str, Selection] = {
    # Consents
    "sound": Selection("consent", SOUND, "consent", "each", articles=("RGPD art. 4(11)",)),
    "specific": Selection(
        "consent", SAME_DOMAIN & COVERS, "consent", "the latest not withdrawn, sound, in date"
    ),
    "consent_elsewhere": Selection(
        "consent", SAME_DOMAIN & ~COVERS, "consent_elsewhere", "any (SPEC 1.1)"
    ),
    "consent_via_terms": Selection(
        "consent",
        _flaw(Mechanism.TERMS_ACCEPTANCE),
        "consent_via_terms",
        "any",
        articles=("RGPD art. 7(2)",),
    ),
    "consent_preticked": Selection(
        "consent",
        _flaw(Mechanism.PRETICKED),
        "consent_preticked",
        "any",
        articles=("RGPD art. 4(11)",),
    ),
    "consent_misleading": Selection(
        "consent",
        _flaw(Mechanism.MISLEADING_DESIGN),
        "consent_misleading",
        "any",
        articles=("RGPD art. 4(11)",),
    ),
    "consent_implicit": Selection(
        "consent",
        _flaw(Mechanism.IMPLICIT),
        "consent_implicit",
        "any",
        articles=("RGPD art. 4(11)",),
    ),
    "political_consent": Selection(
        "consent",
        eq("purpose", ConsentPurpose.POLITICAL) & MINE & SOUND,
        "political_consent",
        "any not withdrawn on its channel",
        articles=("CNIL 2012-020",),
    ),
    # Withdrawals
    "withdrawal": Selection(
        "withdrawal",
        MINE_OR_ALL
        & If(
            Param("analysis"),
            ANY_CHANNEL & (Missing("processing") | is_param("processing", "proc")) & THIS_PURPOSE,
            Missing("processing") & THIS_PURPOSE & THIS_CHANNEL,
        ),
        "consent_withdrawn",
        "ends every specific consent before it",
        articles=("RGPD art. 7(3)",),
    ),
    "political_withdrawal": Selection(
        "withdrawal",
        MINE_OR_ALL
        & Missing("processing")
        & (Missing("purpose") | eq("purpose", ConsentPurpose.POLITICAL)),
        "political_consent",
        "ends the political consents before it on the channel it names, or all",
    ),
    # Objections
    "objection": Selection(
        "objection",
        MINE_OR_ALL,
        "suppression",
        "the latest",
        articles=("RGPD art. 21",),
    ),
    "objection_here": Selection(
        "objection",
        MINE_OR_ALL & THIS_CHANNEL,
        "objected",
        "the latest, unless a valid consent is later",
        articles=("RGPD art. 21(2)",),
    ),
    # Positive acts, which restart a retention clock (CNIL référentiel)
    "positive_consent": Selection("consent", MINE & SOUND, "retention_ends", "the latest"),
    "positive_interaction": Selection(
        "interaction", MINE & In("kind", POSITIVE_INTERACTIONS), "retention_ends", "the latest"
    ),
    # The relationship
    "customer": Selection(
        "customer", MINE, "customer", "any; the latest ends a one-off relationship"
    ),
    "offer_analogous": Selection(
        "customer",
        MINE & Overlaps("products", "related"),
        "offer_analogous",
        "any",
        articles=("CPCE L34-5 al. 4",),
    ),
    "customer_end": Selection(
        "customer_end", MINE, "retention_ends", "the latest, once a relationship began"
    ),
    "contract": Selection(
        "contract", MINE, "contract_current", "per object, the latest", articles=("SPEC 1.6",)
    ),
    "contract_end": Selection(
        "contract_end", MINE, "contract_current", "per object (or all), the latest"
    ),
    # Calls (C. consom. D. 223-9, L223-1)
    "recent_call": Selection(
        "call",
        MINE & Since("calls_from", "at"),
        "calls_capped",
        "count",
        articles=("C. consom. D. 223-9",),
    ),
    "refusal": Selection(
        "call",
        MINE & REFUSED,
        "refused_recently",
        "any within the period",
        articles=("C. consom. D. 223-9",),
    ),
    "refusal_withdrawal": Selection(
        "call",
        Param("phone_consent") & MINE & REFUSED & Since("phone_opt_in"),
        "consent_withdrawn",
        "ends every specific consent before it",
        articles=("C. consom. L223-1",),
    ),
    # Opinions
    "opinion_inferred": Selection("opinion_inferred", TRUE, "opinion_inferred", "any"),
}


SYNTHETIC: Mapping[str, Mapping[str, Any]] = {
    # The erasure of another record with the same address or number leaves an objection
    # to everything from everyone (GDPR art. 17 and 21; C. pén. 226-18-1).
    "erasure": {"type": "objection", "channel": ChannelOrAll.ALL, "sender": "all",
                "via": Via.FORM},
    # A STOP texted objects to the SMS of the sender it was sent to (CPCE L34-5): the
    # sender is the event's own; the scrub keeps those sent to the campaign's or to all.
    "stop_sms": {"type": "objection", "channel": ChannelOrAll.SMS, "via": Via.STOP_SMS},
}  # fmt: skip
"""The events the ledger never stores but reads into a history (`ledger.history`), by
their fields; the scrub reads them through the declarations with these fields
(`expr.on_event`)."""


PERIODS: Mapping[str, str] = {
    "former_customer": "customer_retention",  # CNIL référentiel: from the relationship's end
    "prospect": "prospect_retention",  # … from the collection or last positive act
    "suppression": "suppression_record",  # the objection's record kept (RGPD art. 21)
    "inform": "inform_delay",  # RGPD art. 14(3)(a)
    "analysis_consent": "analysis_consent",  # CPCE D. 98-5 I: renewed every year
    "refusal": "refusal_cooldown",  # C. consom. D. 223-9
    "call_window": "call_window",  # … the calls counted …
    "call_cap": "call_cap",  # … and how many are allowed
}
"""The dated parameter (law/parameters.yaml) each clock and cap of the facts is read
with, by both readers."""


_current: dict[str, Selection] = dict(DECLARED)


def declared() -> Mapping[str, Selection]:
    """The declarations in force (the shipped ones, or a test's changed copy)."""
    return _current


_compiled_for: tuple[Mapping[str, Selection], Any] = ({}, None)


def compiled() -> Any:
    """Each declaration's condition as a Python predicate `(event, scope) → bool`,
    by name (`compiled().withdrawal(event, scope)`), compiled once for the declarations
    in force."""
    global _compiled_for
    source, functions = _compiled_for
    if source is not _current:
        functions = SimpleNamespace(
            **{name: compile_predicate(s.when, name) for name, s in _current.items()}
        )
        _compiled_for = (_current, functions)
    return functions


def predicate(name: str) -> Predicate:
    found: Predicate = getattr(compiled(), name)
    return found


def sql(name: str) -> str:
    """A declaration's condition in DuckDB SQL."""
    return _current[name].when.sql()


@contextmanager
def use_declarations(**changed: Expr) -> Iterator[None]:
    """Within the block, the named declarations read events with other conditions, for
    both readers (a test of this module's claim; never used by licite itself)."""
    global _current
    unknown = set(changed) - set(_current)
    if unknown:
        raise KeyError(f"no such declaration: {sorted(unknown)}")
    saved = _current
    _current = {n: replace(s, when=changed.get(n, s.when)) for n, s in saved.items()}
    try:
        yield
    finally:
        _current = saved


__all__ = [
    "ANY_CHANNEL",
    "COVERS",
    "DECLARED",
    "MINE",
    "MINE_OR_ALL",
    "PERIODS",
    "SAME_DOMAIN",
    "SOUND",
    "SYNTHETIC",
    "Selection",
    "compiled",
    "declared",
    "predicate",
    "sql",
    "use_declarations",
]
