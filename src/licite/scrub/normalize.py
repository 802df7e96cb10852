"""Phone numbers, emails and places in bulk, as SQL generated from the Python tables.

`phone_fast` is `licite.phones._fast_path` over a whole column; what it cannot
settle goes, one distinct value at a time, to `licite.phones.normalize_phone`
(phonenumbers costs about 25 µs a number: 10 million would take minutes).
`place_key` is `licite.places.place_of`. Both are generated from the same
tables the Python uses; tests hold the SQL and the Python to the same answers.
"""

from __future__ import annotations

import duckdb

from licite.phones import OVERSEAS_NATIONAL_PREFIXES, SEPARATORS, normalize_phone
from licite.places import PHONE_PREFIXES, POSTAL_PREFIXES, Place
from licite.scrub.duck import insert_rows


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _char_class(chars: str) -> str:
    escaped = "".join(
        "\\t" if c == "\t" else f"\\x{{{ord(c):04x}}}" if ord(c) > 127 else "\\-" if c == "-" else c
        for c in chars
    )
    return f"[{escaped}]"


def phone_macros() -> tuple[str, ...]:
    # The overseas prefix by one lookup in a list (a CASE would cut the prefix out again
    # for every one of them).
    prefixes = ", ".join(_quote(prefix) for prefix in OVERSEAS_NATIONAL_PREFIXES)
    countries = ", ".join(_quote(country) for country in OVERSEAS_NATIONAL_PREFIXES.values())
    overseas = f"list_extract([{countries}], list_position([{prefixes}], t[1:4]))"
    return (
        "CREATE OR REPLACE MACRO phone_strip(raw) AS"
        f" regexp_replace(raw, '{_char_class(SEPARATORS)}', '', 'g')",
        "CREATE OR REPLACE MACRO phone_plus(t) AS"
        " CASE WHEN starts_with(t, '00') THEN '+' || t[3:] ELSE t END",
        "CREATE OR REPLACE MACRO phone_rest33(t) AS"
        " CASE WHEN starts_with(t[4:], '0') THEN t[5:] ELSE t[4:] END",
        "CREATE OR REPLACE MACRO phone_fast_norm(t) AS CASE"
        " WHEN starts_with(t, '+33') THEN CASE"
        "   WHEN regexp_full_match(phone_rest33(t), '[1-9][0-9]{8}') THEN '+33' || phone_rest33(t)"
        "   END"
        " WHEN regexp_full_match(t, '0[1-9][0-9]{8}') THEN"
        f"   coalesce({overseas}, '+33') || t[2:]"
        " WHEN regexp_full_match(t, '\\+(590|596|594|262)[0-9]*') THEN"
        "   CASE WHEN length(t) = 13 THEN t END"
        " END",
        "CREATE OR REPLACE MACRO phone_fast(raw) AS phone_fast_norm(phone_plus(phone_strip(raw)))",
    )


def _postal_case(prefixes: dict[str, str], length: int, otherwise: str) -> str:
    """The place of the postal code `pc` by its first `length` characters, then by longer
    prefixes under them: one short substring compared a level, not every prefix in turn."""
    here = sorted({prefix[:length] for prefix in prefixes})
    branches = []
    for head in here:
        found = _quote(prefixes[head]) if head in prefixes else otherwise
        longer = {p: k for p, k in prefixes.items() if p.startswith(head) and len(p) > length}
        value = _postal_case(longer, length + 1, found) if longer else found
        branches.append(f"WHEN {_quote(head)} THEN {value}")
    return f"CASE left(pc, {length}) {' '.join(branches)} ELSE {otherwise} END"


def place_macro() -> str:
    metro = _quote(Place.METROPOLE.key)
    shortest = min(len(prefix) for prefix in POSTAL_PREFIXES)
    postal = _postal_case(
        {prefix: place.key for prefix, place in POSTAL_PREFIXES.items()}, shortest, metro
    )
    phone = " ".join(
        f"WHEN starts_with(ph, {_quote(prefix)}) THEN {_quote(place.key)}"
        for prefix, place in PHONE_PREFIXES
    )
    return (
        "CREATE OR REPLACE MACRO place_key(pc, ph) AS CASE"
        f" WHEN coalesce(pc, '') <> '' THEN {postal}"
        f" WHEN ph IS NOT NULL THEN CASE {phone} ELSE {metro} END"
        f" ELSE {metro} END"
    )


def install(con: duckdb.DuckDBPyConnection) -> None:
    for statement in (*phone_macros(), place_macro()):
        con.execute(statement)


def settle_slow_phones(con: duckdb.DuckDBPyConnection, table: str, raw: str, out: str) -> int:
    """Fill `out` where the fast path left it empty, with phonenumbers, once per distinct value."""
    pending = con.execute(
        f"SELECT DISTINCT {raw} FROM {table} WHERE {out} IS NULL AND coalesce({raw}, '') <> ''"
    ).fetchall()
    if not pending:
        return 0
    settled = [(value, normalize_phone(value)) for (value,) in pending]
    con.execute("CREATE OR REPLACE TEMP TABLE phone_slow (raw VARCHAR, e164 VARCHAR)")
    insert_rows(con, "phone_slow", (("raw", "VARCHAR"), ("e164", "VARCHAR")), settled)
    con.execute(
        f"UPDATE {table} SET {out} = phone_slow.e164 FROM phone_slow"
        f" WHERE {table}.{raw} = phone_slow.raw AND {table}.{out} IS NULL"
    )
    return len(settled)
