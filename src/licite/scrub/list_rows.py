"""A list's rows by their line in the file, and the rows set aside: unreadable, wrong, repeated.

`line` is the physical line of the file on which a record starts, as an editor
shows it: a quoted field holding a newline, a blank line, a BOM do not shift
it. A regular file (`list_format`) is numbered by counting — row n on line
n + 2, moved down by each line DuckDB could not read — and the count is then
checked against the file's newlines; a rewritten file carries each record's
line in `__line`.

Rows set aside go to two tables: `rejected(line, problem, reason_fr, reason_en,
raw)` — unreadable, or a value that is not one (an unknown kind, an address
that is not an address…) — and `duplicates(line, first_line, raw)`, a second
row for the same person (same id, else same address and number), with the line
it repeats. `raw` is the record as written (rebuilt from its fields in file
order for a regular file, where the delimiter and empty fields give it back).
The view `contacts` holds the others, which are scrubbed.
"""

from __future__ import annotations

import duckdb

from licite.scrub.list_format import LINE_COLUMN, RAW_COLUMN
from licite.scrub.list_source import KIND_AS_WRITTEN, ListSource, quote
from licite.vocabulary import PersonKind

_KINDS = ", ".join(f"'{k.value}'" for k in PersonKind)

# problem, SQL condition (on the normalized row), French reason, English reason
CHECKS: tuple[tuple[str, str, str, str], ...] = (
    (
        "kind",
        f"kind IS NULL OR kind NOT IN ({_KINDS})",
        "kind : valeur inconnue ",
        "kind: unknown value ",
    ),
    (
        "email",
        "email_norm IS NOT NULL AND (NOT regexp_full_match(email_norm, '[^@\\s]+@\\S+')"
        " OR regexp_matches(email_norm, '[\\x00-\\x1f\\x7f]'))",
        "email : adresse invalide ",
        "email: not an email address ",
    ),
    (
        "phone",
        "coalesce(trim(phone), '') <> '' AND phone_e164 IS NULL",
        "phone : numéro illisible ",
        "phone: not a phone number ",
    ),
    (
        "postal_code",
        "postal_norm IS NOT NULL AND NOT regexp_full_match(postal_norm, '[0-9]{5}')",
        "postal_code : 5 chiffres attendus ",
        "postal_code: expected 5 digits ",
    ),
)
PERSON_KEY = """coalesce(nullif(trim(id), ''), CASE WHEN email_norm IS NOT NULL
    OR phone_e164 IS NOT NULL THEN concat('~', email_norm, '|', phone_e164) END)"""
"""Who a row is: its id, else its address and number (for duplicates)."""


def raw_sql(source: ListSource, alias: str = "c") -> str:
    """The record as written, from the row `alias` of `contacts_lined`."""
    if source.rewritten is not None:
        return f"{alias}.{RAW_COLUMN}"
    output = {column: field for field, column in source.columns.fields.items() if column}
    extras = dict(zip(source.columns.extras, source.extras, strict=True))
    parts = []
    for name in source.names:
        field = output.get(name)
        if field == "kind":
            value = f"coalesce({alias}.{KIND_AS_WRITTEN}, {alias}.kind, '')"
        else:
            value = f"coalesce({alias}.{quote(field or extras[name])}, '')"
        parts.append(value)
    sep = source.delimiter.replace("'", "''")
    return f"concat_ws('{sep}', {', '.join(parts)})"


def number_lines(con: duckdb.DuckDBPyConnection, source: ListSource) -> None:
    """`reject_lines` (what could not be read) and the view `contacts_lined`."""
    if source.rewritten is not None:
        _number_rewritten(con, source)
        return
    if source.file is None:  # Parquet: its rows are numbered from 1
        con.execute(
            "CREATE OR REPLACE TEMP TABLE reject_lines (line BIGINT, problem VARCHAR,"
            " message VARCHAR, raw VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW contacts_lined AS"
            " SELECT line AS row_id, * FROM contacts_read"
        )
        return
    con.execute("""
        CREATE OR REPLACE TEMP TABLE reject_lines AS
        SELECT line::BIGINT AS line, 'unreadable' AS problem,
               string_agg(DISTINCT error_type::VARCHAR || ': ' || error_message, '; ') AS message,
               any_value(csv_line) AS raw
        FROM csv_rejects GROUP BY line
    """)
    rejected = con.execute("SELECT count(*) FROM reject_lines").fetchone()
    if not rejected or not rejected[0]:
        # Nothing rejected: row n (in file order) is on line n + 2, after the header.
        con.execute(
            "CREATE OR REPLACE TEMP VIEW contacts_lined AS"
            " SELECT rowid + 2 AS row_id, rowid + 2 AS line, * FROM contacts_read"
        )
        return
    # A rejected line shifts the rows after it by one.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE line_shifts AS
        SELECT line - 2 - (row_number() OVER (ORDER BY line) - 1) AS accepted_before,
               row_number() OVER (ORDER BY line) AS shift
        FROM reject_lines
    """)
    con.execute("""
        CREATE OR REPLACE TEMP VIEW contacts_lined AS
        WITH numbered AS (SELECT *, rowid AS k FROM contacts_read)
        SELECT numbered.k + 2 + coalesce(b.shift, 0) AS row_id,
               numbered.k + 2 + coalesce(b.shift, 0) AS line, numbered.* EXCLUDE (k)
        FROM numbered ASOF LEFT JOIN line_shifts b ON numbered.k >= b.accepted_before
    """)


def counted_right(con: duckdb.DuckDBPyConnection, source: ListSource) -> bool:
    """Whether counting gave each row its line: one record a line (checked by the file's
    newlines), else the file is read again, rewritten (see the module's doc)."""
    if source.rewritten is not None or source.file is None:
        return True
    found = con.execute(
        "SELECT (SELECT count(*) FROM contacts_read) + (SELECT count(*) FROM reject_lines)"
    ).fetchone()
    records = found[0] if found else 0
    return bool(1 + records == source.file.lines)


def _number_rewritten(con: duckdb.DuckDBPyConnection, source: ListSource) -> None:
    assert source.rewritten is not None
    con.execute(
        "CREATE OR REPLACE TEMP TABLE reject_lines (line BIGINT, problem VARCHAR,"
        " message VARCHAR, raw VARCHAR)"
    )
    rows = [
        (line, "unreadable", f"{width} fields, expected {len(source.rewritten.header)}", raw)
        for line, raw, width in source.rewritten.set_aside
    ]
    if rows:
        con.executemany("INSERT INTO reject_lines VALUES (?, ?, ?, ?)", rows)
    # What DuckDB could not read of the rewritten file (it wrote it: none expected) keeps
    # the line the rewrite put first.
    con.execute("""
        INSERT INTO reject_lines
        SELECT try_cast(split_part(csv_line, ',', 1) AS BIGINT), 'unreadable',
               string_agg(DISTINCT error_type::VARCHAR || ': ' || error_message, '; '),
               any_value(csv_line)
        FROM csv_rejects GROUP BY csv_line
    """)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW contacts_lined AS"
        f" SELECT {LINE_COLUMN}::BIGINT AS row_id, {LINE_COLUMN}::BIGINT AS line,"
        f" * EXCLUDE ({LINE_COLUMN}) FROM contacts_read"
    )


def set_aside(con: duckdb.DuckDBPyConnection, source: ListSource) -> None:
    """`rejected`, `duplicates` and the view `contacts` of the rows to scrub."""
    reasons = []
    for problem, condition, fr, en in CHECKS:
        reasons.append(
            f"SELECT row_id, line, '{problem}' AS problem, NULL::BIGINT AS first_line,"
            f" '{fr}' || coalesce('«' || {problem} || '»', 'NULL') AS reason_fr,"
            f" '{en}' || coalesce('«' || {problem} || '»', 'NULL') AS reason_en"
            f" FROM contacts_lined WHERE {condition}"
        )
    # A second row for the same person (same id, or same address and number without an id).
    # The whole list is grouped on a 64-bit hash of the key, not on the text: the rows whose
    # hash comes back (duplicates, and in theory a collision) are then grouped on the key.
    keyed = f"SELECT row_id, line, {PERSON_KEY} AS dkey FROM contacts_lined"
    reasons.append(f"""
        SELECT * FROM (
        WITH k AS (SELECT *, hash(dkey) AS h FROM ({keyed}) WHERE dkey IS NOT NULL),
        again AS (SELECT * FROM k SEMI JOIN (SELECT h FROM k GROUP BY h HAVING count(*) > 1)
                  USING (h)),
        f AS (SELECT dkey, min(line) AS first_line FROM again GROUP BY dkey
              HAVING count(*) > 1)
        SELECT a.row_id, a.line, 'duplicate', first_line,
          'doublon de la ligne ' || first_line, 'duplicate of line ' || first_line
        FROM again a JOIN f USING (dkey)
        WHERE a.line <> f.first_line)
    """)
    con.execute("CREATE OR REPLACE TEMP TABLE row_problems AS " + " UNION ALL ".join(reasons))
    raw = raw_sql(source)
    # A row whose only problem is that it repeats another is a duplicate; one that is also
    # wrong is rejected, with every reason.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE duplicates AS
        SELECT p.line, p.first_line, {raw} AS raw
        FROM row_problems p JOIN contacts_lined c USING (row_id)
        WHERE p.problem = 'duplicate' AND p.row_id NOT IN
          (SELECT row_id FROM row_problems WHERE problem <> 'duplicate')
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE rejected AS
        SELECT line, problem, 'ligne illisible : ' || message AS reason_fr,
               'unreadable line: ' || message AS reason_en, raw FROM reject_lines
        UNION ALL
        SELECT p.line, string_agg(p.problem, ';'), string_agg(p.reason_fr, ' ; '),
               string_agg(p.reason_en, '; '), any_value({raw})
        FROM row_problems p JOIN contacts_lined c USING (row_id)
        WHERE p.row_id IN (SELECT row_id FROM row_problems WHERE problem <> 'duplicate')
        GROUP BY p.line
    """)
    # A view, not a copy: the list is read twice more (matching, writing), by then
    # without the rows set aside.
    con.execute("""
        CREATE OR REPLACE TEMP VIEW contacts AS
        SELECT * FROM contacts_lined ANTI JOIN row_problems USING (row_id)
    """)
