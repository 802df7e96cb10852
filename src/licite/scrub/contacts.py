"""Reading a campaign list (CSV or Parquet) into DuckDB, with every bad row kept aside.

The header must name `id,kind,email,phone,postal_code` (other columns are
carried through to the outputs); a list without them is refused before any
work. Rows DuckDB cannot read (broken encoding, wrong number of columns) and
rows whose values are wrong (an unknown kind, an address that is not one, a
number that is not a phone number, a postal code that is not five digits, a
duplicate) land in `rejected` with their line and reason; the others are
scrubbed.

Made: the view `contacts(row_id, line, <list columns>, email_norm, phone_e164,
postal_norm, place)` of the good rows (the last four until `release_normalized`)
and the table `rejected(line, problem, reason_fr, reason_en, raw)`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from licite.errors import InvalidInput
from licite.i18n import Text
from licite.scrub.normalize import settle_slow_phones
from licite.scrub.shape import MAX_COLUMNS, MAX_LINE_BYTES, LineGuard, header_shape
from licite.vocabulary import PersonKind

REQUIRED: tuple[str, ...] = ("id", "kind", "email", "phone", "postal_code")
_KINDS = ", ".join(f"'{k.value}'" for k in PersonKind)

# problem, SQL condition (on the normalized row), French reason, English reason
_CHECKS: tuple[tuple[str, str, str, str], ...] = (
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
_PERSON_KEY = """coalesce(nullif(trim(id), ''), CASE WHEN email_norm IS NOT NULL
    OR phone_e164 IS NOT NULL THEN concat('~', email_norm, '|', phone_e164) END)"""
"""Who a row is: its id, else its address and number (for duplicates)."""
_SHOWN = {"kind": "kind", "email": "email", "phone": "phone", "postal_code": "postal_code"}


def read_contacts(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Load, normalize and check the list; returns the extra columns carried through."""
    if not path.is_file():
        raise InvalidInput(Text(f"{path} : fichier introuvable", f"{path}: no such file"))
    quoted = str(path).replace("'", "''")
    parquet = path.suffix.lower() in (".parquet", ".pq")
    guard = None
    if parquet:
        source = (
            "(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS line"
            f" FROM read_parquet('{quoted}', file_row_number = true))"
        )
    else:
        separator, width = header_shape(path)
        options = f"header = true, all_varchar = true, max_line_size = {MAX_LINE_BYTES + 1}"
        source = (
            f"read_csv('{quoted}', {options}, store_rejects = true,"
            " rejects_table = 'csv_rejects', rejects_scan = 'csv_scans')"
        )
        guard = LineGuard(con, path, separator, width)
    try:
        columns = _read(con, path, source, parquet)
    except BaseException:
        # Interrupted by the guard, or stopped for another reason: the guard's finding
        # first, for it is what made DuckDB stop.
        problem = guard.stop() if guard is not None else None
        if problem is not None:
            raise InvalidInput(problem) from None
        raise
    problem = guard.problem() if guard is not None else None
    if problem is not None:
        raise InvalidInput(problem)
    _reject(con)
    return [c for c in columns if c not in REQUIRED and c != "line"]


def _read(con: duckdb.DuckDBPyConnection, path: Path, source: str, parquet: bool) -> list[str]:
    """Read the list into `contacts_read` and number its lines; its columns as read."""
    try:
        # Only the header is read here: a list without the columns stops before any work.
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    except duckdb.InterruptException:
        raise
    except duckdb.Error as error:
        raise _unreadable(path, error) from None
    if len(columns) > MAX_COLUMNS:
        raise InvalidInput(
            Text(
                f"{path} : {len(columns)} colonnes, au plus {MAX_COLUMNS} acceptées",
                f"{path}: {len(columns)} columns, at most {MAX_COLUMNS} accepted",
            )
        )
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        found = ", ".join(c for c in columns if c != "line")
        raise InvalidInput(
            Text(
                f"{path} : colonnes manquantes {', '.join(missing)} ; en-tête attendu"
                f" id,kind,email,phone,postal_code ; trouvé : {found}",
                f"{path}: missing columns {', '.join(missing)}; expected header"
                f" id,kind,email,phone,postal_code; found: {found}",
            )
        )
    try:
        _normalize(con, source)
        if parquet:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE reject_lines (line BIGINT, problem VARCHAR,"
                " message VARCHAR, raw VARCHAR)"
            )
            con.execute(
                "CREATE OR REPLACE TEMP VIEW contacts_lined AS"
                " SELECT line AS row_id, * FROM contacts_read"
            )
        else:
            _number_lines(con)
    except duckdb.InterruptException:
        raise
    except duckdb.Error as error:
        raise _unreadable(path, error) from None
    return columns


NORMALIZED: tuple[str, ...] = ("email_norm", "phone_e164", "postal_norm", "place")
"""The columns `read_contacts` adds, for matching and checking the rows."""


def release_normalized(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the normalized columns once the rows are matched and checked: only the list as
    read is written out, and the grouping to come needs the memory."""
    for name in NORMALIZED:
        con.execute(f"ALTER TABLE contacts_read DROP COLUMN {name}")


def _unreadable(path: Path, error: duckdb.Error) -> InvalidInput:
    return InvalidInput(Text(f"{path} : illisible ({error})", f"{path}: unreadable ({error})"))


def _normalize(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """`contacts_read`: the list as read, in file order, with its normalized columns (one
    copy of the list: the lines are numbered by a view over it)."""
    # A row's place is its postal code's, else its number's: the numbers are only settled
    # below, and reading them inside this copy would compute each one again.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE contacts_read AS
        SELECT *, CASE WHEN postal_norm IS NOT NULL THEN place_key(postal_norm, NULL) END
            AS place
        FROM (
          SELECT * REPLACE (trim(kind) AS kind),
            nullif(lower(trim(email)), '') AS email_norm,
            phone_fast(phone) AS phone_e164,
            nullif(trim(postal_code), '') AS postal_norm
          FROM {source})
    """)
    settle_slow_phones(con, "contacts_read", "phone", "phone_e164")
    con.execute(
        "UPDATE contacts_read SET place = place_key(postal_norm, phone_e164)"
        " WHERE postal_norm IS NULL"
    )


def _number_lines(con: duckdb.DuckDBPyConnection) -> None:
    """`reject_lines` (what DuckDB could not read) and the view `contacts_lined`: each row
    read with its line in the file, which is also its id."""
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


def _reject(con: duckdb.DuckDBPyConnection) -> None:
    reasons = []
    for problem, condition, fr, en in _CHECKS:
        shown = _SHOWN[problem]
        reasons.append(
            f"SELECT row_id, line, '{problem}' AS problem,"
            f" '{fr}' || coalesce('«' || {shown} || '»', 'NULL') AS reason_fr,"
            f" '{en}' || coalesce('«' || {shown} || '»', 'NULL') AS reason_en"
            f" FROM contacts_lined WHERE {condition}"
        )
    # A second row for the same person (same id, or same address and number without an id).
    # The whole list is grouped on a 64-bit hash of the key, not on the text: the rows whose
    # hash comes back (duplicates, and in theory a collision) are then grouped on the key.
    keyed = f"SELECT row_id, line, {_PERSON_KEY} AS dkey FROM contacts_lined"
    reasons.append(f"""
        SELECT * FROM (
        WITH k AS (SELECT *, hash(dkey) AS h FROM ({keyed}) WHERE dkey IS NOT NULL),
        again AS (SELECT * FROM k SEMI JOIN (SELECT h FROM k GROUP BY h HAVING count(*) > 1)
                  USING (h)),
        f AS (SELECT dkey, min(line) AS first_line FROM again GROUP BY dkey
              HAVING count(*) > 1)
        SELECT a.row_id, a.line, 'duplicate',
          'doublon de la ligne ' || first_line, 'duplicate of line ' || first_line
        FROM again a JOIN f USING (dkey)
        WHERE a.line <> f.first_line)
    """)
    con.execute("CREATE OR REPLACE TEMP TABLE row_problems AS " + " UNION ALL ".join(reasons))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE rejected AS
        SELECT line, problem, 'ligne illisible : ' || message AS reason_fr,
               'unreadable line: ' || message AS reason_en, raw FROM reject_lines
        UNION ALL
        SELECT p.line, string_agg(p.problem, ';'), string_agg(p.reason_fr, ' ; '),
               string_agg(p.reason_en, '; '),
               any_value(concat_ws(',', c.id, c.kind, c.email, c.phone, c.postal_code))
        FROM row_problems p JOIN contacts_lined c USING (row_id) GROUP BY p.line
    """)
    # A view, not a copy: the list is read twice more (matching, writing), by then
    # without the rows set aside.
    con.execute("""
        CREATE OR REPLACE TEMP VIEW contacts AS
        SELECT * FROM contacts_lined ANTI JOIN row_problems USING (row_id)
    """)
