"""`licite.facts.read_facts`, for a whole list at once, in DuckDB.

Which events each fact reads is not written here: the conditions are the SQL
renderings of `licite.facts.declared` (the engine's reader compiles the same
declarations to Python), the periods those of `declared.PERIODS`, the request's
values those of `licite.facts.scope.Scope`. What is written here is how the
selected events fold over a person's history in one grouping; the differential
test (tests/test_scrub_differential.py) holds the folds to `read_facts`'s answers
on random histories.

Inputs:
- `scrub_events(person_id, seq, at_us, type, <ledger field columns>)`: the
  recorded history of each person asked for, already cut at the moment
  (`at_us <= $at`);
- `scrub_rows(row_id, person_id, person_kind, place)`: the contact rows, with
  the person each one is (NULL when the ledger does not know it), their kind and
  place coded (`CODES`, `code_of`);
- `scrub_marks(row_id, bloctel_at, bloctel_listed, erased_at, stop_first,
  stop_last)`: what belongs to the row rather than to the person — the
  opposition list its number was found on (a `bloctel` or, no longer listed,
  `bloctel_removed` event at the import), the objection an erasure left behind
  (all channels and senders), and the first and latest STOP texted from its
  number to the campaign's sender or to all (an objection to SMS).
  These come after recorded events at the same moment.

Output: the view `scrub_facts`, one row per contact row: its person kind and
place (coded, see `CODES`) and every field of `licite.situation.Facts` (method
and purpose coded too; moments in epoch µs, computed by `duck.period_end`).

The history is read once, per person, in one grouping: where `read_facts` walks
the events in order, the SQL keeps the position (`pos`, ordering events as
`(at_us, seq)` would) of the events that decide each fact and compares them.
A consent, for instance, is valid when it lies after the last withdrawal that
reaches it (and, for a bought list without its own consent, after the
collection): the latest candidate consent is valid exactly when some candidate
is. Events that decide a fact only now and then (withdrawals, ends of a customer
relationship, contracts, refused calls, political consents…) travel in a list
per person, each with the roles it plays (`_ROLES`), its position and one number
(`_detail`), and are read from there as the small set they are; contracts, which
carry a text (their object), travel in a second list. `scrub_events` may be a
view over the ledger: it is scanned once.

Parameters: $s sender id, $ch request channel, $pu the scope's purpose (see
`facts._Scope`), $proc processing, $analysis, $at, $related (the offer and the
categories declared analogous, `facts.related_labels`), $gdpr, $calls_from,
$phone_opt_in and $phone_consent (a refusal during a call takes a commercial phone
consent back from that date), $call_cap, and nothing else; the periods are written into
the statements from `LawAt`, the law in force at the scrub's moment.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from licite.facts.declared import MINE, MINE_OR_ALL, PERIODS, SYNTHETIC, declared
from licite.facts.declared import sql as declared_sql
from licite.facts.expr import on_event
from licite.ledger.rows import BOOLEAN_COLUMNS, FIELD_COLUMNS
from licite.parameters import Period, period
from licite.places import PLACES_BY_KEY
from licite.scrub.duck import period_end
from licite.vocabulary import (
    INDIRECT_METHODS,
    ChannelOrAll,
    CollectPurpose,
    Method,
    PersonKind,
)


def _values(members: frozenset[Any]) -> str:
    return "(" + ", ".join(f"'{m.value}'" for m in sorted(members)) + ")"


READ_COLUMNS: tuple[str, ...] = tuple(
    c for c in FIELD_COLUMNS if c not in ("via", "source", "wording", "informed_at_text")
)
"""The ledger's field columns the facts are read from (the others are evidence)."""

CODES: dict[str, tuple[str, ...]] = {
    "person_kind": tuple(k.value for k in PersonKind),
    "place": tuple(PLACES_BY_KEY),
    "method": tuple(m.value for m in Method),
    "collected_purpose": tuple(p.value for p in CollectPurpose),
}
"""The facts that are not yes-or-no, each carried as a code: 0 for none, else 1 + its
index here."""

_EVENT_CODES: dict[str, tuple[str, ...]] = {"channel": tuple(c.value for c in ChannelOrAll)}
"""Event fields carried as codes in a person's list of rare events (see `_ROLES`)."""
_CODED = {**CODES, **_EVENT_CODES}


def code_of(name: str, expression: str) -> str:
    """The code of `expression`, one of `CODES[name]` (or of an event field's codes); a
    value the vocabulary does not know stops the batch (it would otherwise be read as
    another)."""
    listed = ", ".join(literal(v, "VARCHAR") for v in _CODED[name])
    return (
        f"coalesce(list_position([{listed}], {expression}), CASE WHEN {expression} IS NULL"
        f" THEN 0 ELSE error('{name}: unknown value ' || {expression}) END)"
    )


def _code(name: str, value: str) -> int:
    return 1 + _CODED[name].index(value)


@dataclass(frozen=True, slots=True)
class Order:
    """How an event's place in a history, `(at_us, seq)`, travels as one positive number:
    `(at_us + 2^offset) * 2^bits + rank`, in a `kind` integer.

    `COMPACT` packs `(at_us, tie)` into a BIGINT: `tie` (schema v4) ranks a person's
    events at one instant in the order of `seq`, so it orders a history as `seq` does, in
    ten bits where `seq` needs the whole ledger's. It holds instants from 1827 to 2112 and
    up to 1 023 events of a person at one instant; an event outside stops the statement
    (`OUT_OF_COMPACT`) and the facts are read again in `WIDE`, `(at_us, seq)` in a HUGEINT,
    which holds every history but costs a third more time in the grouping."""

    rank: str
    """The events' column that breaks ties of `at_us`."""
    kind: str
    offset: int
    bits: int

    @property
    def synthetic_rank(self) -> int:
        """The rank of a row's own events (opposition list, erasure): after every recorded
        one."""
        return (1 << self.bits) - 1

    def _power(self, bits: int) -> str:
        return f"(1::{self.kind} << {bits})"

    def of(self, at_us: str, rank: str) -> str:
        """The position of the event at `at_us` with rank `rank`."""
        at = f"(({at_us})::{self.kind} + {self._power(self.offset)})"
        return f"({at} * {self._power(self.bits)} + ({rank}))"

    def event(self) -> str:
        """A recorded event's position, from its `at_us` and rank column."""
        fits = f"{self.rank} BETWEEN 0 AND {self.synthetic_rank - 1}"
        return f"""CASE WHEN {fits} AND at_us > -{1 << self.offset}
          THEN {self.of("at_us", self.rank)} ELSE error('{OUT_OF_COMPACT}') END"""

    def synthetic(self, at_us: str) -> str:
        return self.of(at_us, str(self.synthetic_rank))

    def at_of(self, pos: str) -> str:
        """The `at_us` of a position."""
        return f"((({pos}) >> {self.bits}) - {self._power(self.offset)})::BIGINT"

    def holds(self, at_us: int) -> bool:
        """Whether histories cut at `at_us` can be placed (their events' ranks aside)."""
        return at_us < 1 << self.offset


OUT_OF_COMPACT = "licite: an event lies outside the compact positions"
COMPACT = Order(rank="tie", kind="BIGINT", offset=52, bits=10)
WIDE = Order(rank="seq", kind="HUGEINT", offset=60, bits=63)

HISTORY_COLUMNS: tuple[str, ...] = ("person_id", "seq", "tie", "at_us", "type", *READ_COLUMNS)
"""The columns of `scrub_events`: the ledger's events as the facts read them."""


# The latest `collected` event travels as one number (its method, its purpose and its
# yes-or-no fields): one state per person in the grouping, where a value per field
# would make each person's state several times larger.
_PURPOSE_SHIFT = 6
_COLLECTED_FLAGS = tuple(sorted(BOOLEAN_COLUMNS - {"outside_hours"}))
_FLAG_SHIFT = 12


def _packed_collection() -> str:
    parts = [
        code_of("method", "method"),
        f"{code_of('collected_purpose', 'purpose')} << {_PURPOSE_SHIFT}",
    ]
    parts += [
        f"coalesce({name}, false)::INTEGER << {_FLAG_SHIFT + i}"
        for i, name in enumerate(_COLLECTED_FLAGS)
    ]
    # Only a collection's method and purpose are coded: a consent's purpose is another list.
    return "CASE WHEN type = 'collected' THEN " + " | ".join(f"({p})" for p in parts) + " END"


def _bit(column: str, bit: int) -> str:
    """Whether bit `bit` of the integer `column` is set."""
    return f"((({column} >> {bit}) & 1) = 1)"


Condition = tuple[str, str, str]
"""(name, event type, condition on an event of that type)."""


def _bits(*groups: tuple[tuple[Condition, ...], int]) -> str:
    """One integer with a bit per condition (each group's from its bit on), set where the
    event is of the condition's type and the condition holds. Each event tests only its own
    type's conditions: in a projection both sides of an AND are computed for every row, and
    twenty million events would pay for every test of every type."""
    by_type: dict[str, list[str]] = {}
    for conditions, shift in groups:
        for bit, (_, kind, condition) in enumerate(conditions, start=shift):
            term = f"(coalesce({condition}, false)::INTEGER << {bit})"
            by_type.setdefault(kind, []).append(term)
    cases = " ".join(f"WHEN '{kind}' THEN {' | '.join(terms)}" for kind, terms in by_type.items())
    return f"(CASE type {cases} ELSE 0 END)"


def _collected_flag(name: str) -> str:
    return _bit("c_packed", _FLAG_SHIFT + _COLLECTED_FLAGS.index(name))


_METHOD = "(c_packed & 63)"
_INDIRECT = f"coalesce(method IN {_values(INDIRECT_METHODS)}, false)"
"""An indirect collection (SPEC 1.4), which never restarts the retention clock."""
_BOUGHT = tuple(_code("method", m.value) for m in (Method.LIST_PURCHASE, Method.LIST_RENTAL))


def _specific() -> str:
    """A consent within the request's domain that covers the request (`declared`)."""
    return f"CASE WHEN type = 'consent' THEN {declared_sql('specific')} ELSE false END"


# Yes-or-no facts of the loop, one bit each of a single `bit_or`; their conditions are
# the declarations of the same names (`licite.facts.declared`).
_FLAGS: tuple[str, ...] = (
    "opinion_inferred",
    "offer_analogous",
    "consent_via_terms",
    "consent_preticked",
    "consent_misleading",
    "consent_implicit",
    "consent_elsewhere",
)
_FLAG_BITS = 16
"""The flags come after the roles (`_ROLES`) in the one integer an event carries."""


def _flag(name: str) -> str:
    return f"coalesce({_bit('flags', _FLAGS.index(name))}, false)"


def _events(analysis: bool, order: Order, law: LawAt) -> str:
    """The events with their position, whether the sender is the campaign's (`mine`; a
    missing sender is the case's) or it or all (`mine_or_all`), and whether a consent
    lapsed.

    D. 98-5 I renews an analysis consent every year: the year is computed only
    for an analysis, on consents."""
    source = f"""
      SELECT *, {MINE.column()} AS mine, {MINE_OR_ALL.column()} AS mine_or_all,
        {order.event()} AS pos
      FROM scrub_events"""
    if not analysis:
        return f"SELECT *, false AS lapsed FROM ({source})"
    lapses = period_end(
        f"SELECT *, CASE WHEN type = 'consent' THEN at_us END AS consent_at FROM ({source})",
        "consent_at",
        months=law.analysis_consent.months,
        days=law.analysis_consent.days,
        out="lapses_at",
    )
    return (
        "SELECT * EXCLUDE (consent_at, lapses_at), coalesce($at >= lapses_at, false) AS lapsed"
        f" FROM ({lapses})"
    )


# Events that decide a fact only now and then — a withdrawal, a purchase or the end of a
# customer relationship, an objection, a call, a contract… — go into a list per person
# (one small state in the grouping, where a value per fact would make every person's
# state larger) and are read from there. Each carries the roles it plays, one bit each;
# its moment is read from its position. A role is a declaration of the same name
# (`licite.facts.declared`), but for the three below, which belong to this reader.
_ROLES: tuple[str, ...] = (
    "withdrawal",
    "customer",
    "customer_end",
    "objection",
    "objection_here",
    "recent_call",
    "bloctel",
    "bloctel_removed",
    "outside_hours",
    "informed_at",
    "contract",
    "contract_end",
    "refusal",
    "political_consent",
    "refusal_withdrawal",
    "political_withdrawal",
)
assert len(_ROLES) <= _FLAG_BITS
_OWN_ROLES: dict[str, Condition] = {
    "bloctel": ("bloctel", "bloctel", "true"),  # the latest of the two, read from positions
    "bloctel_removed": ("bloctel_removed", "bloctel_removed", "true"),
    "outside_hours": ("outside_hours", "consent", "candidate AND outside_hours"),
    "informed_at": ("informed_at", "collected", "informed_at_us IS NOT NULL"),
}


def _conditions(names: tuple[str, ...]) -> tuple[Condition, ...]:
    """Each name's (name, event type, SQL condition), from the declarations in force."""
    found = declared()
    return tuple(
        _OWN_ROLES[n] if n in _OWN_ROLES else (n, found[n].event, found[n].when.sql())
        for n in names
    )


# What a rare event carries besides its position and roles is one number: a text field in
# the list would cost seconds on twenty million events, even where it is NULL. A contract's
# object is a text: contracts travel in a list of their own (`rare_contracts`).
_CONTRACT_ROLES = sum(1 << _ROLES.index(name) for name in ("contract", "contract_end"))


def _detail() -> str:
    """A consent's or withdrawal's channel (coded), a collection's `informed_at_us`."""
    return f"""(CASE WHEN type IN ('consent', 'withdrawal') THEN {code_of("channel", "channel")}
      WHEN type = 'collected' THEN informed_at_us END)::BIGINT"""


_ALL_CHANNELS = _code("channel", ChannelOrAll.ALL.value)


def _role(name: str, event: str = "") -> str:
    """Whether an event of `rare` (`event`, an alias, or the only one) plays role `name`."""
    return _bit(f"{event}.roles" if event else "roles", _ROLES.index(name))


def _per_person(analysis: bool, order: Order) -> str:
    """Everything that is one pass over a person's events (read_facts: the loop), and the
    rare events, read again as the small set they are (see `_ROLES`)."""
    lapsed = f"NULL::{order.kind}"
    if analysis:
        lapsed = f"max(pos) FILTER (specific AND {declared_sql('sound')} AND lapsed)"
    return f"""
    CREATE OR REPLACE TEMP TABLE pf AS
    SELECT person_id,
      min(at_us) AS first_at,
      max(pos) FILTER (type = 'collected') AS c_pos,
      max(at_us) FILTER (type = 'collected' AND NOT {_INDIRECT}) AS direct_at,
      min(at_us) FILTER (type = 'collected' AND {_INDIRECT}) AS first_indirect_at,
      arg_max_null({_packed_collection()}, pos) FILTER (type = 'collected') AS c_packed,
      max(at_us) FILTER ((type = 'consent' AND {declared_sql("positive_consent")})
          OR (type = 'interaction' AND {declared_sql("positive_interaction")}))
        AS last_positive,
      max(pos) FILTER (candidate) AS candidate_last,
      min(pos) FILTER (specific) AS specific_first,
      {lapsed} AS lapsed_last,
      bit_or(marks >> {_FLAG_BITS}) AS flags,
      list({{'pos': pos, 'roles': roles, 'detail': {_detail()}}})
        FILTER (roles <> 0 AND roles & {_CONTRACT_ROLES} = 0) AS rare,
      list({{'pos': pos, 'roles': roles, 'object': object}})
        FILTER (roles & {_CONTRACT_ROLES} <> 0) AS rare_contracts
    FROM (
      -- What several aggregates test, computed once an event: its roles and its flags.
      SELECT *, marks & {(1 << _FLAG_BITS) - 1} AS roles FROM (
      SELECT *, {_bits((_conditions(_ROLES), 0), (_conditions(_FLAGS), _FLAG_BITS))} AS marks
      FROM (
        SELECT *, specific AND {declared_sql("sound")} AND NOT lapsed AS candidate FROM (
          SELECT *, {_specific()} AS specific FROM e))))
    GROUP BY person_id
    """


def _ends(source: str, law: LawAt) -> str:
    """The moments of `Facts`, each its start plus its period (see `duck.period_end`)."""
    for start, length, out in (
        ("former_from", law.former_customer, "former_ends"),  # CNIL référentiel
        ("prospect_from", law.prospect, "prospect_ends"),
        ("suppression_from", law.suppression, "suppression_ends"),
        ("collected_at", law.inform, "inform_deadline"),  # RGPD art. 14(3)(a)
        ("analysis_consent_at", law.analysis_consent, "consent_expires"),  # D. 98-5 I
    ):
        source = period_end(source, start, days=length.days, months=length.months, out=out)
    return f"SELECT *, coalesce(former_ends, prospect_ends) AS retention_ends FROM ({source})"


@dataclass(frozen=True, slots=True)
class LawAt:
    """The periods the facts are read with, in force at the scrub's moment: each field is a
    clock of `licite.facts.declared.PERIODS`, read from the dated parameter it names there
    (law/parameters.yaml), as `read_facts` reads it."""

    former_customer: Period
    prospect: Period
    suppression: Period
    inform: Period
    analysis_consent: Period
    refusal: Period

    @classmethod
    def of(cls, moment: datetime) -> LawAt:
        return cls(**{f.name: period(PERIODS[f.name], moment) for f in fields(cls)})


def steps(analysis: bool, law: LawAt, order: Order = COMPACT) -> tuple[str, ...]:
    """The statements that make `scrub_facts`, for an analysis or for any other request.

    `scrub_events` is read once, by the grouping `pf`."""
    at_of = order.at_of
    refusals = f"SELECT person_id, {at_of('pos')} AS at_us FROM rare WHERE {_role('refusal')}"
    return (
        f"CREATE OR REPLACE TEMP VIEW e AS {_events(analysis, order, law)}",
        _per_person(analysis, order),
        """
        CREATE OR REPLACE TEMP TABLE rare AS
        SELECT person_id, c_pos, unnest(rare, recursive := true) FROM pf WHERE rare IS NOT NULL
        """,
        """
        CREATE OR REPLACE TEMP TABLE rare_contracts AS
        SELECT person_id, unnest(rare_contracts, recursive := true) FROM pf
        WHERE rare_contracts IS NOT NULL
        """,
        f"""
        CREATE OR REPLACE TEMP TABLE rare_facts AS
        SELECT person_id,
          max(pos) FILTER ({_role("withdrawal")} OR {_role("refusal_withdrawal")})
            AS withdrawn_before,
          min(pos) FILTER ({_role("customer")}) AS customer_first,
          max(pos) FILTER ({_role("customer")}) AS customer_last,
          max(pos) FILTER ({_role("customer_end")}) AS end_last,
          {at_of(f"max(pos) FILTER ({_role('objection_here')})")} AS objection_at,
          {at_of(f"max(pos) FILTER ({_role('objection')})")} AS suppression_from,
          count(*) FILTER ({_role("recent_call")}) AS recent_calls,
          max(pos) FILTER ({_role("bloctel")}) AS bloctel_on,
          max(pos) FILTER ({_role("bloctel_removed")}) AS bloctel_off,
          max(pos) FILTER ({_role("outside_hours")}) AS candidate_oh_last,
          any_value(detail) FILTER ({_role("informed_at")} AND pos = c_pos)
            AS c_informed_at_us
        FROM rare GROUP BY person_id
        """,
        # Contracts by object: current while the last contract outlasts the last end that
        # reaches it (read_facts: the `contracts` dict).
        f"""
        CREATE OR REPLACE TEMP TABLE contracts AS
        WITH opened AS (
          SELECT person_id, coalesce(object, '') AS object, max(pos) AS opened_last
          FROM rare_contracts WHERE {_role("contract")} GROUP BY ALL),
        ended AS (
          SELECT o.person_id, o.object, max(x.pos) AS ended_last
          FROM opened o JOIN rare_contracts x ON x.person_id = o.person_id
           AND {_role("contract_end", "x")}
           AND (x.object IS NULL OR x.object = o.object)
          GROUP BY ALL)
        SELECT person_id,
          bool_or(opened_last > coalesce(ended_last, 0)) AS contract_current,
          bool_or(opened_last > coalesce(ended_last, 0) AND list_contains($related, object))
            AS contract_related
        FROM opened LEFT JOIN ended USING (person_id, object) GROUP BY person_id
        """,
        # When the contracts began and last ended (read_facts: an end counts once a contract
        # has begun), for the end of the relationship.
        f"""
        CREATE OR REPLACE TEMP TABLE contract_times AS
        SELECT person_id, contract_first,
          CASE WHEN contract_end_last > contract_first THEN contract_end_last END
            AS contract_ended_last
        FROM (SELECT person_id, min(pos) FILTER ({_role("contract")}) AS contract_first,
            max(pos) FILTER ({_role("contract_end")}) AS contract_end_last
          FROM rare_contracts GROUP BY person_id)
        """,
        # D. 223-9: no call while `at` < a refusal + the cooldown (read_facts: Call).
        f"""
        CREATE OR REPLACE TEMP TABLE refused AS
        SELECT person_id, bool_or($at < cooldown_ends) AS refused_recently
        FROM ({
            period_end(
                refusals,
                "at_us",
                days=law.refusal.days,
                months=law.refusal.months,
                out="cooldown_ends",
            )
        })
        GROUP BY person_id
        """,
        # A political consent stands unless a later withdrawal names its channel or all
        # (the election rule, read_facts: _withdraws_political).
        f"""
        CREATE OR REPLACE TEMP TABLE political AS
        SELECT c.person_id, bool_or(NOT EXISTS (
            SELECT 1 FROM rare w WHERE w.person_id = c.person_id
              AND {_role("political_withdrawal", "w")} AND w.pos > c.pos
              AND (w.detail IN (0, {_ALL_CHANNELS}) OR w.detail = c.detail)))
          AS political_consent
        FROM rare c WHERE {_role("political_consent", "c")}
        GROUP BY c.person_id
        """,
        # The few people with rare events, all their facts in one row: the list's rows
        # then join one small table, not four. Contracts are read from their own list: a
        # person may have them and no other rare event.
        """
        CREATE OR REPLACE TEMP TABLE person_rare AS
        SELECT * FROM rare_facts FULL JOIN contracts USING (person_id)
          FULL JOIN contract_times USING (person_id)
          LEFT JOIN refused USING (person_id) LEFT JOIN political USING (person_id)
        """,
        f"CREATE OR REPLACE TEMP VIEW scrub_facts AS {_row_facts(order, law)}",
    )


def _when(declaration: str, synthetic: str, moment: str) -> str:
    """`moment` where the row's own event `synthetic` counts for `declaration`."""
    selection = declared()[declaration]
    fields = SYNTHETIC[synthetic]
    assert selection.event == fields["type"], (declaration, synthetic)
    return f"CASE WHEN {on_event(selection.when, fields).sql()} THEN {moment} END"


def _row_facts(order: Order, law: LawAt) -> str:
    """A row's facts: its person's, with the row's own events (read_facts: the return)."""
    synthetic, at_of = order.synthetic("m.bloctel_at"), order.at_of
    bought = ", ".join(str(code) for code in _BOUGHT)
    return f"""
    WITH joined AS (
      SELECT r.row_id, r.person_kind, r.place, r.has_address,
        pf.* EXCLUDE (person_id, rare, rare_contracts),
        x.* EXCLUDE (person_id, objection_at, suppression_from), m.* EXCLUDE (row_id),
        pf.person_id IS NOT NULL OR m.bloctel_at IS NOT NULL OR m.erased_at IS NOT NULL
          OR m.stop_first IS NOT NULL AS known,
        least(pf.first_at, m.bloctel_at, m.erased_at, m.stop_first) AS first_seen,
        CASE WHEN m.bloctel_at IS NOT NULL THEN {synthetic} END AS bloctel_mark,
        -- An erasure's objection and a STOP by SMS, read by the declarations of
        -- recorded objections (`declared.SYNTHETIC`, ledger.history).
        greatest(x.objection_at, {_when("objection_here", "erasure", "m.erased_at")},
          {_when("objection_here", "stop_sms", "m.stop_last")}) AS objection_at,
        greatest(x.suppression_from, {_when("objection", "erasure", "m.erased_at")},
          {_when("objection", "stop_sms", "m.stop_last")}) AS suppression_from
      FROM scrub_rows r
        LEFT JOIN pf ON pf.person_id = r.person_id
        LEFT JOIN person_rare x ON x.person_id = r.person_id
        LEFT JOIN scrub_marks m ON m.row_id = r.row_id),
    judged AS (
      SELECT *,
        -- A valid consent lies after the last withdrawal that reaches it and, for a list
        -- bought without the list's own consent (RGPD art. 6, 7(1); CNIL SAN-2022-021),
        -- after the collection; any valid consent means the latest candidate is one.
        greatest(coalesce(withdrawn_before, 0), CASE WHEN NOT $analysis
          AND {_METHOD} IN ({bought})
          AND (NOT ({_collected_flag("partner_consent")} AND {_collected_flag("partners_named")})
               OR ($at >= $gdpr AND NOT {_collected_flag("consent_proof")}))
          THEN c_pos + 1 ELSE 0 END) AS valid_from,
        CASE WHEN end_last > least(customer_first, contract_first) THEN end_last END
          AS ended_last,
        CASE WHEN c_pos IS NOT NULL THEN {at_of("c_pos")} END AS collected_at
      FROM joined),
    r AS (
      SELECT *,
        coalesce(candidate_last >= valid_from, false) AS consent,
        CASE WHEN candidate_last >= valid_from THEN {at_of("candidate_last")} END
          AS latest_valid,
        -- The end of a relationship: the last purchase, end of one, or end of a contract.
        {at_of("greatest(customer_last, ended_last, contract_ended_last)")} AS end_at,
        customer_last IS NOT NULL AS customer,
        coalesce(contract_current, false) AS current_customer,
        -- The latest direct collection, else the first indirect one (CNIL SAN-2024-020).
        coalesce(direct_at, first_indirect_at, first_seen) AS collection_at
      FROM judged),
    anchored AS (
      SELECT *,
        CASE WHEN NOT current_customer AND end_at IS NOT NULL
          THEN greatest(end_at, last_positive) END AS former_from,
        CASE WHEN NOT current_customer AND end_at IS NULL
          THEN greatest(collection_at, last_positive) END AS prospect_from,
        CASE WHEN $analysis THEN latest_valid END AS analysis_consent_at
      FROM r),
    t AS ({_ends("SELECT * FROM anchored", law)})
    SELECT row_id,
      person_kind,
      place,
      has_address,
      known,
      c_pos IS NOT NULL AS collected,
      coalesce({_METHOD}, 0) AS method,
      coalesce((c_packed >> {_PURPOSE_SHIFT}) & 63, 0) AS collected_purpose,
      coalesce({_collected_flag("terms_forbid_reuse")}, false) AS terms_forbid_reuse,
      coalesce({_collected_flag("informed")}, false)
        OR coalesce(c_informed_at_us <= $at, false) AS informed,
      coalesce($at < inform_deadline, false) AS inform_window_open,
      coalesce({_collected_flag("opt_out_offered")}, false) AS opt_out_offered,
      coalesce({_collected_flag("partner_consent")} AND {_collected_flag("partners_named")},
               false) AS partner_consent,
      coalesce({_collected_flag("consent_proof")}, false) AS consent_proof,
      consent,
      coalesce(specific_first < coalesce(withdrawn_before, 0), false) AS consent_withdrawn,
      coalesce($analysis AND lapsed_last >= coalesce(withdrawn_before, 0), false)
        AS consent_expired,
      {_flag("consent_via_terms")} AS consent_via_terms,
      {_flag("consent_preticked")} AS consent_preticked,
      {_flag("consent_misleading")} AS consent_misleading,
      {_flag("consent_implicit")} AS consent_implicit,
      -- An analysis consent for this processing and purpose is not "another" (SPEC 1.1).
      {_flag("consent_elsewhere")} AND NOT ($analysis AND specific_first IS NOT NULL)
        AS consent_elsewhere,
      coalesce(candidate_oh_last >= valid_from, false) AS consent_outside_hours,
      objection_at IS NOT NULL AND NOT coalesce(latest_valid > objection_at, false) AS objected,
      customer,
      current_customer,
      {_flag("offer_analogous")} AS offer_analogous,
      coalesce(contract_related, false) AS contract_related,
      coalesce(contract_current, false) AS contract_current,
      -- The latest of the person's and the row's opposition-list events.
      CASE WHEN bloctel_mark > greatest(coalesce(bloctel_on, 0), coalesce(bloctel_off, 0))
        THEN bloctel_listed
        ELSE coalesce(bloctel_on > coalesce(bloctel_off, 0), false) END AS bloctel_registered,
      coalesce(recent_calls >= $call_cap, false) AS calls_capped,
      coalesce(refused_recently, false) AS refused_recently,
      {_flag("opinion_inferred")} AS opinion_inferred,
      coalesce({_METHOD} = {_code("method", Method.REGULAR_CONTACT.value)}, false)
        AS regular_contact,
      coalesce(political_consent, false) AS political_consent,
      known AND (retention_ends IS NULL OR $at < retention_ends) AS within_retention,
      coalesce($at < suppression_ends, false) AS suppression,
      consent_expires,
      retention_ends,
      suppression_ends,
      inform_deadline
    FROM t
    """


INTERMEDIATE_TABLES = (
    "pf",
    "rare",
    "rare_contracts",
    "rare_facts",
    "contracts",
    "contract_times",
    "refused",
    "political",
    "person_rare",
)
"""The tables `steps` make on the way to `scrub_facts`."""


Param = str | int | bool | tuple[str, ...] | None


def literal(value: Param, sql_type: str) -> str:
    """A typed SQL literal (parameters inside CREATE … AS need their types spelled out)."""
    if value is None:
        return f"NULL::{sql_type}"
    if isinstance(value, tuple):
        return "[" + ", ".join(literal(v, "VARCHAR") for v in value) + f"]::{sql_type}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}::{sql_type}"
    return "'" + value.replace("'", "''") + f"'::{sql_type}"


def bind(sql: str, params: dict[str, tuple[Param, str]]) -> str:
    """Replace each `$name` by its typed literal; longest names first."""
    for name in sorted(params, key=len, reverse=True):
        value, sql_type = params[name]
        sql = sql.replace(f"${name}", literal(value, sql_type))
    return sql
