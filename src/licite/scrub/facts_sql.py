"""`licite.facts.read_facts`, for a whole list at once, in DuckDB.

Each query below mirrors one part of `read_facts` and says which; the
differential test (tests/test_scrub_differential.py) holds them to the same
answers on random histories. Input: table `scrub_events` — the history of each
contact row (`row_id`), ledger columns, already cut at the moment (`at_us <=
$at`). Output: the view `scrub_facts`, one row per contact row with a history,
holding every field of `licite.situation.Facts` (moments in epoch µs, each computed
once, by `duck.period_end`, and compared with `$at`).

Parameters: $s sender id, $ch request channel, $pu the scope's purpose (see
`facts._Scope`), $proc processing, $analysis, $at, $offer, $gdpr, $calls_from,
and nothing else.
"""

from __future__ import annotations

from typing import Any

from licite.scrub.duck import period_end
from licite.vocabulary import CONSENT_ANALYSIS, POSITIVE_INTERACTIONS, VALID_MECHANISMS


def _values(members: frozenset[Any]) -> str:
    return "(" + ", ".join(f"'{m.value}'" for m in sorted(members)) + ")"


SOUND = f"(mechanism IS NULL OR mechanism IN {_values(VALID_MECHANISMS)})"
ANY_CHANNEL = "(channel IS NULL OR channel = 'all')"
ANALYSIS_PURPOSES = _values(CONSENT_ANALYSIS)
POSITIVE = _values(POSITIVE_INTERACTIONS)

_COLLECTED_FIELDS = (
    "at_us",
    "method",
    "purpose",
    "terms_forbid_reuse",
    "informed",
    "informed_at_us",
    "opt_out_offered",
    "partner_consent",
    "partners_named",
    "consent_proof",
)
_REFUSALS = "SELECT row_id, at_us FROM e WHERE type = 'call' AND who = $s AND outcome = 'refused'"


_CONSENTS = f"""
      SELECT e.row_id, e.pos, e.at_us, e.channel, e.purpose, e.mechanism, e.outside_hours,
        e.who,
        ((e.processing IS NOT NULL OR coalesce(e.purpose IN {ANALYSIS_PURPOSES}, false))
          = $analysis) AS relevant,
        e.who = $s AND CASE WHEN $analysis
          THEN e.processing IS NOT DISTINCT FROM $proc AND e.purpose IS NOT DISTINCT FROM $pu
          ELSE (e.channel IS NULL OR e.channel = 'all' OR e.channel = $ch)
               AND (e.purpose IS NULL OR e.purpose = $pu) END AS covers,
        e.pos < coalesce(agg.withdrawn_before, 0) AS withdrawn,
        {SOUND.replace("mechanism", "e.mechanism")} AS sound,
        coalesce(col.c_method IN ('list_purchase', 'list_rental')
          AND (NOT (coalesce(col.c_partner_consent, false)
                    AND coalesce(col.c_partners_named, false))
               OR ($at >= $gdpr AND NOT coalesce(col.c_consent_proof, false)))
          AND e.pos <= col.c_pos, false) AS bought_for_buyer
      FROM e JOIN agg USING (row_id) LEFT JOIN col USING (row_id)
      WHERE e.type = 'consent'
"""
"""Consent events with what judging them needs (the period is an analysis consent's year)."""


def _ends(source: str) -> str:
    """The moments of `Facts`, each its start plus its period (see `duck.period_end`)."""
    for start, days, months, out in (
        ("retention_from", 0, 36, "retention_ends"),  # CNIL référentiel: three years
        ("suppression_from", 0, 36, "suppression_ends"),  # an objection is kept three years
        ("collected_at", 0, 1, "inform_deadline"),  # RGPD art. 14(3)(a): a month
        ("analysis_consent_at", 0, 12, "consent_expires"),  # D. 98-5 I: a year
    ):
        source = period_end(source, start, days=days, months=months, out=out)
    return source


STEPS: tuple[str, ...] = (
    # Events in `at` order, file order (seq) for ties; a missing sender is the case's.
    # `pos` orders a row's events as (at_us, seq) would, in one positive number: a view,
    # not a numbered copy — numbering needs a sort of every event, and the copy memory.
    """
    CREATE OR REPLACE TEMP VIEW e AS
    SELECT *, coalesce(sender, $s) AS who,
           (at_us::HUGEINT + (1::HUGEINT << 60)) * (1::HUGEINT << 63) + seq AS pos
    FROM scrub_events
    """,
    # Everything that is one pass over the events.
    f"""
    CREATE OR REPLACE TEMP TABLE agg AS
    SELECT row_id,
      min(at_us) AS first_at,
      max(pos) FILTER (type = 'collected') AS c_pos,
      max(pos) FILTER (type = 'withdrawal' AND who IN ($s, 'all') AND (CASE WHEN $analysis
          THEN {ANY_CHANNEL} AND (processing IS NULL OR processing = $proc)
               AND (purpose IS NULL OR purpose = $pu)
          ELSE processing IS NULL AND (purpose IS NULL OR purpose = $pu)
               AND ({ANY_CHANNEL} OR channel = $ch) END)) AS withdrawn_before,
      max(at_us) FILTER (type = 'objection' AND who IN ($s, 'all')
                         AND ({ANY_CHANNEL} OR channel = $ch)) AS objection_at,
      max(at_us) FILTER (type = 'objection' AND who IN ($s, 'all')) AS suppression_from,
      min(pos) FILTER (type = 'customer' AND who = $s) AS customer_first,
      max(pos) FILTER (type = 'customer' AND who = $s) AS customer_last,
      bool_or(type = 'customer' AND who = $s
              AND list_contains(from_json(coalesce(products, '[]'), '["VARCHAR"]'), $offer))
        AS offer_analogous,
      arg_max(type, pos) FILTER (type IN ('bloctel', 'bloctel_removed')) AS bloctel_state,
      count(*) FILTER (type = 'call' AND who = $s AND at_us >= $calls_from AND at_us < $at)
        AS recent_calls,
      bool_or(type = 'opinion_inferred') AS opinion_inferred,
      max(at_us) FILTER ((type = 'consent' AND who = $s AND {SOUND})
          OR (type = 'interaction' AND who = $s
              AND kind IN {POSITIVE}))
        AS last_positive
    FROM e GROUP BY row_id
    """,
    # The latest `collected` event (read_facts: `collected`), fetched by its position:
    # an arg_max per field, or of a struct of them, costs several times this join.
    f"""
    CREATE OR REPLACE TEMP TABLE col AS
    SELECT e.row_id, e.pos AS c_pos, {", ".join(f"e.{n} AS c_{n}" for n in _COLLECTED_FIELDS)}
    FROM e JOIN agg ON agg.row_id = e.row_id AND agg.c_pos = e.pos
    WHERE e.type = 'collected'
    """,
    # A customer_end counts once the person has been a customer (read_facts: CustomerEnd).
    """
    CREATE OR REPLACE TEMP TABLE ends AS
    SELECT e.row_id, max(e.pos) AS end_last, arg_max(e.at_us, e.pos) AS end_at
    FROM e JOIN agg USING (row_id)
    WHERE e.type = 'customer_end' AND e.who = $s AND e.pos > agg.customer_first
    GROUP BY e.row_id
    """,
    # Contracts by object: current while the last contract outlasts the last end (dict semantics).
    """
    CREATE OR REPLACE TEMP TABLE contracts AS
    WITH opened AS (
      SELECT row_id, coalesce(object, '') AS object, max(pos) AS opened_last
      FROM e WHERE type = 'contract' AND who = $s GROUP BY ALL),
    ended AS (
      SELECT o.row_id, o.object, max(x.pos) AS ended_last
      FROM opened o JOIN e x ON x.row_id = o.row_id AND x.type = 'contract_end' AND x.who = $s
       AND (x.object IS NULL OR x.object = o.object)
      GROUP BY ALL)
    SELECT row_id,
      bool_or(opened_last > coalesce(ended_last, 0)) AS contract_current,
      bool_or(opened_last > coalesce(ended_last, 0) AND object = $offer) AS contract_related
    FROM opened LEFT JOIN ended USING (row_id, object) GROUP BY row_id
    """,
    # D. 223-9: no call while `at` < a refusal + 60 days (read_facts: Call).
    f"""
    CREATE OR REPLACE TEMP TABLE refusals AS
    SELECT row_id, bool_or($at < cooldown_ends) AS refused_recently
    FROM ({period_end(_REFUSALS, "at_us", days=60, out="cooldown_ends")})
    GROUP BY row_id
    """,
    # Consents, judged one by one (read_facts: `specific`, `valid`, flaws, `elsewhere`).
    f"""
    CREATE OR REPLACE TEMP TABLE cons AS
    WITH c AS ({period_end(_CONSENTS, "at_us", months=12, out="analysis_lapses")})
    SELECT *, relevant AND covers AS specific,
      relevant AND covers AND NOT withdrawn AND sound AND NOT (NOT $analysis AND bought_for_buyer)
        AND NOT ($analysis AND $at >= analysis_lapses) AS valid,
      relevant AND covers AND NOT withdrawn AND sound AND $analysis
        AND $at >= analysis_lapses AS expired
    FROM c
    """,
    # A political consent stands unless a later withdrawal names its channel or all (the
    # election rule, read_facts: _withdraws_political).
    """
    CREATE OR REPLACE TEMP TABLE political AS
    SELECT c.row_id, bool_or(c.who = $s AND c.sound AND NOT EXISTS (
        SELECT 1 FROM e w WHERE w.row_id = c.row_id AND w.type = 'withdrawal' AND w.pos > c.pos
          AND w.who IN ($s, 'all') AND w.processing IS NULL
          AND (w.purpose IS NULL OR w.purpose = 'political')
          AND (w.channel IS NULL OR w.channel = 'all' OR w.channel = c.channel))) AS consented
    FROM cons c WHERE c.purpose = 'political' GROUP BY c.row_id
    """,
    """
    CREATE OR REPLACE TEMP TABLE cagg AS
    SELECT row_id,
      bool_or(valid) AS consent,
      max(at_us) FILTER (valid) AS latest_valid,
      bool_or(specific AND withdrawn) AS consent_withdrawn,
      bool_or(expired) AS consent_expired,
      bool_or(relevant AND mechanism = 'terms_acceptance') AS consent_via_terms,
      bool_or(relevant AND mechanism = 'preticked') AS consent_preticked,
      bool_or(relevant AND mechanism = 'misleading_design') AS consent_misleading,
      bool_or(relevant AND mechanism = 'implicit') AS consent_implicit,
      bool_or(relevant AND NOT covers) AS consent_elsewhere,
      bool_or(valid AND coalesce(outside_hours, false)) AS consent_outside_hours
    FROM cons GROUP BY row_id
    """,
    # Retention and the final facts (read_facts: the return statement); a view, read
    # once, by the grouping into situations.
    f"""
    CREATE OR REPLACE TEMP VIEW scrub_facts AS
    WITH r AS (
      SELECT agg.* EXCLUDE (c_pos), col.* EXCLUDE (row_id), cagg.* EXCLUDE (row_id),
        contracts.* EXCLUDE (row_id),
        ends.end_last, ends.end_at, political.consented AS political_consented,
        refusals.refused_recently,
        agg.customer_last IS NOT NULL AS customer,
        agg.customer_last IS NOT NULL AND agg.customer_last > coalesce(ends.end_last, 0)
          AS current_customer,
        coalesce(col.c_at_us, agg.first_at) AS collection_at
      FROM agg LEFT JOIN col USING (row_id) LEFT JOIN cagg USING (row_id)
        LEFT JOIN contracts USING (row_id) LEFT JOIN ends USING (row_id)
        LEFT JOIN political USING (row_id) LEFT JOIN refusals USING (row_id)),
    anchored AS (
      SELECT *, CASE WHEN current_customer THEN NULL
        WHEN customer THEN coalesce(greatest(end_at, last_positive), collection_at)
        ELSE greatest(collection_at, last_positive) END AS retention_from,
        c_at_us AS collected_at,
        CASE WHEN $analysis THEN latest_valid END AS analysis_consent_at
      FROM r),
    t AS ({_ends("SELECT * FROM anchored")})
    SELECT row_id,
      true AS known,
      c_pos IS NOT NULL AS collected,
      c_method AS method,
      c_purpose AS collected_purpose,
      coalesce(c_terms_forbid_reuse, false) AS terms_forbid_reuse,
      coalesce(c_informed, false) OR coalesce(c_informed_at_us <= $at, false) AS informed,
      coalesce($at < inform_deadline, false) AS inform_window_open,
      coalesce(c_opt_out_offered, false) AS opt_out_offered,
      coalesce(c_partner_consent AND c_partners_named, false) AS partner_consent,
      coalesce(c_consent_proof, false) AS consent_proof,
      coalesce(consent, false) AS consent,
      coalesce(consent_withdrawn, false) AS consent_withdrawn,
      coalesce(consent_expired, false) AS consent_expired,
      coalesce(consent_via_terms, false) AS consent_via_terms,
      coalesce(consent_preticked, false) AS consent_preticked,
      coalesce(consent_misleading, false) AS consent_misleading,
      coalesce(consent_implicit, false) AS consent_implicit,
      coalesce(consent_elsewhere, false) AS consent_elsewhere,
      coalesce(consent_outside_hours, false) AS consent_outside_hours,
      objection_at IS NOT NULL AND NOT coalesce(latest_valid > objection_at, false) AS objected,
      customer,
      current_customer,
      coalesce(offer_analogous, false) AS offer_analogous,
      coalesce(contract_related, false) AS contract_related,
      coalesce(contract_current, false) AS contract_current,
      coalesce(bloctel_state = 'bloctel', false) AS bloctel_registered,
      recent_calls >= 4 AS calls_capped,
      coalesce(refused_recently, false) AS refused_recently,
      coalesce(opinion_inferred, false) AS opinion_inferred,
      coalesce(c_method = 'regular_contact', false) AS regular_contact,
      coalesce(political_consented, false) AS political_consent,
      retention_ends IS NULL OR $at < retention_ends AS within_retention,
      coalesce($at < suppression_ends, false) AS suppression,
      consent_expires,
      retention_ends,
      suppression_ends,
      inform_deadline
    FROM t
    """,
)


INTERMEDIATE_TABLES = ("agg", "col", "ends", "contracts", "refusals", "cons", "political", "cagg")
"""The tables STEPS make on the way to `scrub_facts`."""


def literal(value: str | int | bool | None, sql_type: str) -> str:
    """A typed SQL literal (parameters inside CREATE … AS need their types spelled out)."""
    if value is None:
        return f"NULL::{sql_type}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}::{sql_type}"
    return "'" + value.replace("'", "''") + f"'::{sql_type}"


def bind(sql: str, params: dict[str, tuple[str | int | bool | None, str]]) -> str:
    """Replace each `$name` by its typed literal; longest names first."""
    for name in sorted(params, key=len, reverse=True):
        value, sql_type = params[name]
        sql = sql.replace(f"${name}", literal(value, sql_type))
    return sql
