"""Each contact's history, from the ledger, as `licite.ledger.history.history_as_of` reads it.

For every contact row: the events of the ledger person it matches (by id,
else by the keyed hash of its address, else of its number), cut at the
campaign's moment; the opposition list (`bloctel` at the latest import at or
before the moment when the number is on it; `bloctel_removed` then when it was
on an earlier list only); and the hashes an erasure left behind (an objection,
all channels and senders, at the erasure). The first is the person's history,
the others the row's own (`facts_sql` says how they are read together).

An erasure recorded after the campaign's moment still counts, as an objection
at that moment (issue 13, finding 8; `history_as_of` says why): the person's
own (`persons.erased_at_us`) and any suppression hash of the row's address or
number, whatever its date.
"""

from __future__ import annotations

import duckdb

from licite.ledger.rows import BOOLEAN_COLUMNS
from licite.scrub.facts_sql import HISTORY_COLUMNS, READ_COLUMNS, code_of, literal


def _typed(column: str) -> str:
    if column in BOOLEAN_COLUMNS:
        return f"e.{column}::BOOLEAN AS {column}"
    if column in ("seq", "tie") or column.endswith("_us"):
        return f"e.{column}::BIGINT AS {column}"
    return f"e.{column}::VARCHAR AS {column}"


def match_people(
    con: duckdb.DuckDBPyConnection,
    at_us: int,
    store: str = "ledger",
    address: str | None = None,
) -> None:
    """`matched(row_id, person_id, email_hash, phone_hash, person_kind, place, has_address)`:
    the ledger person of each row, and what the rules read of the row itself (its kind and
    place coded, see `facts_sql.CODES`; whether it holds `address`, the list's column the
    campaign's channel needs — SPEC §3, NO-ADDRESS).

    A row whose id is in the ledger is that person, with the hashes the ledger
    holds (as `decide --person` reads them); only the other rows are hashed —
    HMAC costs microseconds a value, which on ten million rows is most of a
    scrub — and looked up by address, then by number. `store` is the schema the
    ledger's tables are read from: `ledger`, the store attached whole, or `narrow`, a short
    list's own rows of it (`licite.scrub.narrow`).
    """
    erasures = con.execute("SELECT count(*) FROM ledger.suppressions").fetchone()
    # A person's address hash serves only to find what an erasure left: without erasures,
    # only the rows to look up by address need theirs.
    email_hash = (
        "coalesce(p.email_hash, hmac_hex(c.email_norm))"
        if erasures and erasures[0]
        else "CASE WHEN p.id IS NULL THEN hmac_hex(c.email_norm) END"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE matched AS
        SELECT c.row_id, p.id AS person_id, {email_hash} AS email_hash,
               coalesce(p.phone_hash, hmac_hex(c.phone_e164)) AS phone_hash,
               p.erased_at_us::BIGINT AS erased_at_us,
               {code_of("person_kind", "c.kind")}::UTINYINT AS person_kind,
               {code_of("place", "c.place")}::UTINYINT AS place,
               {f"c.{address} IS NOT NULL" if address else "true"} AS has_address
        FROM contacts c LEFT JOIN {store}.persons p ON p.id = nullif(trim(c.id), '')
    """)
    left = con.execute("SELECT count(*) FROM matched WHERE person_id IS NULL").fetchone()
    if not left or not left[0]:
        return  # every row found by id: the ledger's people need not be read again
    # The people recorded with the addresses or numbers of the rows not found by id: a few,
    # read from the ledger.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE people AS
        WITH hashed AS (SELECT email_hash, phone_hash FROM matched WHERE person_id IS NULL)
        SELECT id, seq, email_hash, phone_hash, erased_at_us FROM {store}.persons
        WHERE email_hash IN (SELECT email_hash FROM hashed)
           OR phone_hash IN (SELECT phone_hash FROM hashed)
    """)
    con.execute("""
        UPDATE matched SET person_id = found.pid,
          email_hash = coalesce(matched.email_hash, found.email_hash),
          phone_hash = coalesce(matched.phone_hash, found.phone_hash),
          erased_at_us = found.erased_at_us
        FROM (
          -- The first person recorded with each address or number, among those asked for
          -- only: grouping every person of a large ledger by hash would cost more.
          WITH by_email AS (SELECT email_hash, arg_min(id, seq) AS pid FROM people
                            GROUP BY email_hash),
          by_phone AS (SELECT phone_hash, arg_min(id, seq) AS pid FROM people
                       GROUP BY phone_hash)
          SELECT m.row_id, p.id AS pid, p.email_hash, p.phone_hash, p.erased_at_us
          FROM matched m
          LEFT JOIN by_email e ON e.email_hash = m.email_hash
          LEFT JOIN by_phone f ON f.phone_hash = m.phone_hash
          JOIN people p ON p.id = coalesce(e.pid, f.pid)
          WHERE m.person_id IS NULL) found
        WHERE matched.row_id = found.row_id
    """)
    con.execute("DROP TABLE people")


EVERYONE = 0.9
"""Past this share of the ledger's people matched, `scrub_events` is every person's history:
keeping only the people asked for would cost more than grouping the few others (whose
facts no row joins)."""


def gather_events(
    con: duckdb.DuckDBPyConnection,
    at_us: int,
    ledger_people: int,
    store: str = "ledger",
    sender: str | None = None,
) -> None:
    """`scrub_events` (the recorded history of every person matched, up to `at_us`, and
    possibly of others: see `EVERYONE`) and `scrub_marks` (each row's opposition-list,
    erasure and STOP-by-SMS events, the last sent to `sender` or to all: the first and
    the latest, as `ledger.history.stops_by_sms` folds them in); see `facts_sql`.
    `ledger_people` is how many people the ledger has recorded, or more; `store` is as for
    `match_people`."""
    recorded = ", ".join(_typed(c) for c in HISTORY_COLUMNS)
    found = con.execute("SELECT count(person_id) FROM matched").fetchone()
    everyone = found is not None and found[0] >= EVERYONE * ledger_people
    asked = "" if everyone else "SEMI JOIN matched m ON m.person_id = e.person_id"
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW scrub_events AS
        SELECT {recorded} FROM {store}.events e {asked} WHERE e.at_us <= {at_us}
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE scrub_marks AS
        WITH latest AS (
          SELECT id, imported_at_us AS at_us FROM {store}.suppression_imports
          WHERE list = 'bloctel' AND imported_at_us <= {at_us}
          ORDER BY imported_at_us DESC, id DESC LIMIT 1),
        opposition AS (
          -- Each row whose number is on a list imported by then; on the latest one or not.
          SELECT m.row_id, any_value(latest.at_us) AS at_us, bool_or(s.import_id = latest.id)
                 AS listed
          FROM matched m JOIN {store}.suppression_entries s ON s.phone_hash = m.phone_hash
          JOIN {store}.suppression_imports i ON i.id = s.import_id
           AND i.list = 'bloctel' AND i.imported_at_us <= {at_us}
          CROSS JOIN latest
          GROUP BY m.row_id),
        erased AS (
          -- Whatever their date: one after the moment is an objection at the moment.
          SELECT row_id, min(at_us) AS at_us FROM (
            SELECT m.row_id, least(s.at_us::BIGINT, {at_us}) AS at_us
            FROM matched m JOIN {store}.suppressions s
              ON s.hash IN (m.email_hash, m.phone_hash)
             AND s.person_id IS DISTINCT FROM m.person_id
            UNION ALL
            SELECT row_id, {at_us} FROM matched WHERE erased_at_us > {at_us})
          GROUP BY row_id),
        stopped AS (
          -- STOPs texted from the row's number (few rows: read from the ledger itself).
          SELECT m.row_id, min(s.received_at_us)::BIGINT AS first_at,
                 max(s.received_at_us)::BIGINT AS last_at
          FROM matched m JOIN ledger.sms_inbound s ON s.phone_hash = m.phone_hash
          WHERE s.stop::BOOLEAN AND s.received_at_us <= {at_us}
            AND s.sender IN ({literal(sender, "VARCHAR")}, 'all')
          GROUP BY m.row_id)
        SELECT coalesce(o.row_id, x.row_id, t.row_id) AS row_id, o.at_us AS bloctel_at,
               o.listed AS bloctel_listed, x.at_us AS erased_at,
               t.first_at AS stop_first, t.last_at AS stop_last
        FROM opposition o FULL JOIN erased x ON x.row_id = o.row_id
          FULL JOIN stopped t ON t.row_id = coalesce(o.row_id, x.row_id)
    """)
    # The hashes were for the lists above; the grouping to come needs the memory.
    con.execute("ALTER TABLE matched DROP COLUMN email_hash")
    con.execute("ALTER TABLE matched DROP COLUMN phone_hash")
    con.execute("ALTER TABLE matched DROP COLUMN erased_at_us")


__all__ = ["READ_COLUMNS", "gather_events", "match_people"]
