"""The batch scrub at scale, against a bare DuckDB pipeline and the per-row engine.

Run: .venv/bin/python bench/scrub.py --contacts 200000 1000000 10000000 --sample 5000
     --work /tmp/bench-data   (two events and half a listed number a contact)
     [--short 2 10000 50000]  (short lists against the largest ledger, see below)

For each size it builds (once, cached under --work) a SQLite ledger, a contact
list and an opposition list, then times three things in fresh processes, with
their peak memory:
- `licite scrub` itself (the phone campaign below: opposition list, hours,
  consent, provenance and retention all in play);
- a bare DuckDB pipeline over the same files: read the list, normalize
  addresses and numbers, hash what must be hashed, join the ledger's people,
  their events (every column the scrub reads, folded into one digest a person)
  and the opposition list, write a CSV — the floor any scrub built on DuckDB
  pays;
- the single-decision path over a random sample of rows, extrapolated to the
  whole list (it would take hours to run in full), two ways: `decide --person`
  alone on random people (`engine_loop`), and the scrub's whole job row by row —
  read and check the row, find its person, decide, write the row with its codes
  and citations (`row_loop`). Both start warm: the ledger's file read into memory
  first, and a few hundred other rows decided, untimed, before the sample (a loop
  over the whole list would visit each row once, so the sample's rows are fresh).

With `--short`, lists of a few rows to a few ten thousand (every n-th row of the
largest list) are scrubbed against the largest ledger twice, in fresh processes:
by index, as the scrub chooses for them (`licite.scrub.narrow`), and reading the
whole ledger.

The ledger is bulk-loaded with DuckDB for speed: its events carry the scrub's
columns but placeholder chain hashes (the scrub reads facts, not the chain).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CAMPAIGN = {
    "id": "bench-call",
    "at": "2025-03-12T11:00:00+01:00",
    "sender": {"id": "shop", "bloctel_checked_at": "2025-03-01"},
    "request": {
        "action": "contact",
        "channel": "phone_call",
        "purpose": "commercial",
        "offer": "shoes",
    },
}
EPOCH_2020 = 1_577_836_800_000_000
SPAN_US = 5 * 365 * 86_400 * 1_000_000  # 2020 → 2025
WARMUP = 200
"""Rows each loop decides, untimed, before its sample: the first calls of a process pay
for imports, the law's loading and the first SQLite pages."""


def build(work: Path, contacts: int, events: int, bloctel: int) -> Path:
    """Ledger, list and opposition list for one size, cached by size."""
    from licite.ledger import Ledger
    from licite.scrub.duck import connect, define_hmac, load_scanner
    from licite.scrub.normalize import install

    folder = work / f"c{contacts}-e{events}-b{bloctel}"
    if (folder / "ready").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'ledger.db'}"
    os.environ["LICITE_KEY_DIR"] = str(folder / "keys")
    with Ledger.open(url) as ledger:
        key = ledger.keys.hmac
    con = connect()
    install(con)
    define_hmac(con, key)
    load_scanner(con, "sqlite_scanner")
    con.execute(f"ATTACH '{folder / 'ledger.db'}' AS l (TYPE sqlite)")
    started = time.monotonic()
    con.execute(f"""
        CREATE TEMP TABLE p AS SELECT i,
          'p' || lpad(i::VARCHAR, 9, '0') AS id,
          CASE WHEN i % 50 = 0 THEN 'generic_business_address'
               WHEN i % 8 = 0 THEN 'professional' ELSE 'consumer' END AS kind,
          'person' || i || '@example.fr' AS email,
          CASE WHEN i % 5 <> 0 THEN '+336' || lpad((i * 7919 % 100000000)::VARCHAR, 8, '0') END
            AS phone,
          ['75011', '69003', '67000', '97400', '33000', '13001'][1 + i % 6] AS postal_code
        FROM range({contacts}) t(i)
    """)
    con.execute("ALTER TABLE p ADD COLUMN email_hash VARCHAR")
    con.execute("ALTER TABLE p ADD COLUMN phone_hash VARCHAR")
    con.execute("UPDATE p SET email_hash = hmac_hex(email), phone_hash = hmac_hex(phone)")
    con.execute("""
        INSERT INTO l.persons (id, seq, kind, email_hash, phone_hash, recorded_at_us,
                               prev_hash, hash)
        SELECT id, i + 1, kind, email_hash, phone_hash, 0, 'bench', 'bench' FROM p
    """)
    print(f"  people: {time.monotonic() - started:.0f} s", file=sys.stderr)
    # Each event carries only its type's fields (SPEC §2), as the importer would store
    # them, so that `decide --person` reads back valid histories.
    con.execute(f"""
        INSERT INTO l.events (seq, person_id, at_us, at_text, type, sender, channel, purpose,
          method, mechanism, kind, outcome, products, informed, opt_out_offered,
          partner_consent, partners_named, consent_proof, terms_forbid_reuse,
          content_hash, recorded_at_us, prev_hash, hash, tie)
        WITH t AS (
          SELECT i, {EPOCH_2020} + (hash(i) % {SPAN_US})::BIGINT AS at_us,
            CASE WHEN i < {contacts} THEN 'collected'
                 ELSE ['consent', 'consent', 'interaction', 'customer', 'objection', 'call',
                       'interaction', 'consent'][(1 + hash(i * 3) % 8)::BIGINT] END AS type
          FROM range({events}) r(i))
        SELECT i + 1, 'p' || lpad((i % {contacts})::VARCHAR, 9, '0'), at_us,
          strftime(make_timestamp(at_us), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00', type,
          CASE WHEN type <> 'collected' THEN 'shop' END,
          CASE WHEN type IN ('consent', 'objection')
               THEN ['phone_call', 'email', 'all', 'sms'][1 + i % 4] END,
          CASE WHEN type = 'collected' OR (type = 'consent' AND i % 3 = 0)
               THEN 'commercial' END,
          CASE WHEN type = 'collected' THEN ['form', 'sale', 'list_purchase', 'scraping',
                                             'event', 'form'][1 + i % 6] END,
          CASE WHEN type = 'consent' THEN ['checkbox', 'double_opt_in', 'preticked',
                                           'checkbox'][1 + i % 4] END,
          CASE WHEN type = 'interaction' THEN ['open', 'click', 'reply'][1 + i % 3] END,
          CASE WHEN type = 'call' THEN ['no_answer', 'refused', 'accepted'][1 + i % 3] END,
          CASE WHEN type = 'customer' THEN '["shoes"]' END,
          CASE WHEN type = 'collected' THEN (i % 7 <> 0)::INT END,
          CASE WHEN type = 'collected' THEN (i % 4 <> 0)::INT END,
          CASE WHEN type = 'collected' THEN (i % 5 <> 0)::INT END,
          CASE WHEN type = 'collected' THEN (i % 3 <> 0)::INT END,
          CASE WHEN type = 'collected' THEN (i % 6 <> 0)::INT END,
          CASE WHEN type = 'collected' THEN (i % 9 = 0)::INT END,
          'bench-' || i, 0, 'bench', 'bench',
          -- the rank among the person's events at the instant, as the journal writes it
          row_number() OVER (PARTITION BY i % {contacts}, at_us ORDER BY i) - 1
        FROM t
    """)
    print(f"  events: {time.monotonic() - started:.0f} s", file=sys.stderr)
    con.execute(
        "INSERT INTO l.suppression_imports VALUES (1, 'bloctel', 1740783600000000, ?, 0)", [bloctel]
    )
    con.execute(f"""
        INSERT INTO l.suppression_entries
        SELECT DISTINCT 1, h FROM (
          (SELECT phone_hash AS h FROM p WHERE phone_hash IS NOT NULL AND i % 3 = 0
           LIMIT {bloctel // 2})
          UNION ALL
          SELECT hmac_hex('+337' || lpad(i::VARCHAR, 8, '0')) FROM range({bloctel - bloctel // 2})
            t(i))
    """)
    print(f"  opposition list: {time.monotonic() - started:.0f} s", file=sys.stderr)
    con.execute(f"""
        COPY (SELECT CASE WHEN i % 10 = 0 THEN '' ELSE id END AS id, kind,
                CASE WHEN i % 4 = 0 THEN upper(email) ELSE email END AS email,
                CASE WHEN phone IS NULL THEN ''
                     WHEN i % 3 = 0 THEN '0' || phone[4:5] || ' ' || phone[6:7] || ' '
                          || phone[8:9] || ' ' || phone[10:11] || ' ' || phone[12:13]
                     WHEN i % 3 = 1 THEN '0' || phone[4:]
                     ELSE phone END AS phone,
                postal_code, 'segment-' || (i % 12) AS segment
              FROM p ORDER BY i)
        TO '{folder / "contacts.csv"}' (HEADER)
    """)
    con.close()
    (folder / "campaign.json").write_text(json.dumps(CAMPAIGN), encoding="utf-8")
    (folder / "ready").write_text("ok", encoding="utf-8")
    print(f"  built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return folder


BASELINE = """
import sys, os
from licite.ledger import Ledger
from licite.scrub.duck import connect, define_hmac, load_scanner
from licite.scrub.normalize import install, settle_slow_phones
folder = sys.argv[1]
os.environ["LICITE_KEY_DIR"] = folder + "/keys"
with Ledger.open("sqlite:///" + folder + "/ledger.db") as ledger:
    key = ledger.keys.hmac
con = connect()
install(con); define_hmac(con, key); load_scanner(con, "sqlite_scanner")
con.execute(f"ATTACH '{folder}/ledger.db' AS l (TYPE sqlite, READ_ONLY)")
con.execute(f"CREATE TEMP TABLE c AS SELECT *, nullif(lower(trim(email)), '') AS email_norm,"
            f" phone_fast(phone) AS phone_e164 FROM read_csv('{folder}/contacts.csv',"
            " header = true, all_varchar = true)")
settle_slow_phones(con, "c", "phone", "phone_e164")
con.execute(f'''COPY (
  WITH people AS (SELECT id, email_hash, phone_hash FROM l.persons),
  h AS (SELECT *, nullif(trim(id), '') AS pid,
               CASE WHEN nullif(trim(id), '') IS NULL THEN hmac_hex(email_norm) END AS eh
        FROM c),
  m AS (SELECT h.*, coalesce(p.id, q.id) AS person_id,
               coalesce(p.phone_hash, hmac_hex(h.phone_e164)) AS ph
        FROM h LEFT JOIN people p ON p.id = h.pid
        LEFT JOIN people q ON q.email_hash = h.eh),
  e AS (SELECT person_id, count(*) AS n, max(at_us) AS last,
               bit_xor(hash(seq, type, sender, channel, purpose, method, mechanism, processing,
                            kind, outcome, via, object, products, informed, informed_at_us,
                            terms_forbid_reuse, opt_out_offered, partner_consent,
                            partners_named, consent_proof, outside_hours)) AS digest
        FROM l.events GROUP BY ALL),
  b AS (SELECT DISTINCT phone_hash FROM l.suppression_entries)
  SELECT m.*, e.n, e.last, b.phone_hash IS NOT NULL AS listed
  FROM m LEFT JOIN e USING (person_id) LEFT JOIN b ON b.phone_hash = m.ph)
  TO '{folder}/baseline.csv' (HEADER)''')
"""

SCRUB = """
import sys, os
from pathlib import Path
from licite.scrub.run import scrub
folder = Path(sys.argv[1])
os.environ["LICITE_KEY_DIR"] = str(folder / "keys")
scrub(folder / "contacts.csv", folder / "campaign.json", folder / "scrub-out",
      database_url=f"sqlite:///{folder / 'ledger.db'}", overwrite=True)
"""


def measure(code: str, folder: Path, *args: object) -> tuple[float, float]:
    """Wall seconds and peak resident memory (GiB) of a fresh Python process running `code`
    with the arguments `folder` and `args`."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", code, str(folder), *map(str, args)])
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"benchmark step failed with status {status}")
    return elapsed, usage.ru_maxrss / (1024 * 1024)


def into_page_cache(path: Path) -> None:
    """Read a file through once, so that the system keeps its pages in memory."""
    with path.open("rb") as handle:
        while handle.read(16 << 20):
            pass


def _per_row(work: Callable[[str], object], items: list[str], warmup: int) -> float:
    """Seconds `work` takes an item, timed on the items after the first `warmup` (done
    untimed; fewer when the list is short, so that at least one is timed)."""
    warmup = min(warmup, len(items) - 1)
    for item in items[:warmup]:
        work(item)
    timed = items[warmup:]
    started = time.perf_counter()
    for item in timed:
        work(item)
    return (time.perf_counter() - started) / len(timed)


def engine_loop(folder: Path, rows: int, sample: int, warmup: int = WARMUP, seed: int = 1) -> float:
    """Seconds `decide --person` would take over every row, from a timed random sample of
    people, after `warmup` others (untimed: a loop over the whole list would have paid its
    start long before)."""
    from licite.case import load_campaign
    from licite.ledger import Ledger, decide_person

    os.environ["LICITE_KEY_DIR"] = str(folder / "keys")
    campaign = load_campaign(CAMPAIGN)
    rng = random.Random(seed)
    ids = [f"p{i:09d}" for i in rng.sample(range(rows), min(rows, sample + warmup))]
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        per_row = _per_row(
            lambda person_id: decide_person(ledger, person_id, campaign), ids, warmup
        )
    return per_row * rows


def row_loop(folder: Path, rows: int, sample: int, warmup: int = WARMUP, seed: int = 2) -> float:
    """Seconds the single-decision engine would take to do the scrub's job row by row, from
    a timed random sample: read and check the row as the scrub does, find its person (by
    id, else by the keyed hash of its address, else of its number), `decide --person`, and
    write the row with its codes and citations. The file's lines are read beforehand and
    `warmup` other rows done first, both untimed (a generous start for the loop)."""
    import csv
    import io
    import re

    from licite.case import load_campaign
    from licite.ledger import Ledger, decide_person
    from licite.ledger.crypto import KeyedHasher
    from licite.phones import normalize_phone
    from licite.vocabulary import PersonKind

    os.environ["LICITE_KEY_DIR"] = str(folder / "keys")
    campaign = load_campaign(CAMPAIGN)
    kinds = {k.value for k in PersonKind}
    email_shape, postal_shape = re.compile(r"[^@\s]+@\S+"), re.compile(r"[0-9]{5}")
    rng = random.Random(seed)
    wanted = sorted(rng.sample(range(rows), min(rows, sample + warmup)))
    lines: list[str] = []
    with (folder / "contacts.csv").open(encoding="utf-8") as handle:
        header = next(handle)
        at = iter(wanted)
        target = next(at, None)
        for index, line in enumerate(handle):
            if index == target:
                lines.append(line)
                target = next(at, None)
    rng.shuffle(lines)
    names = next(csv.reader([header]))
    out = csv.writer(io.StringIO())
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        keyed = KeyedHasher(ledger.keys.hmac)

        def one(line: str) -> None:
            row = dict(zip(names, next(csv.reader([line])), strict=True))
            email = row["email"].strip().lower() or None
            phone = normalize_phone(row["phone"]) if row["phone"].strip() else None
            postal = row["postal_code"].strip() or None
            if (
                row["kind"].strip() not in kinds
                or (email is not None and not email_shape.fullmatch(email))
                or (row["phone"].strip() and phone is None)
                or (postal is not None and not postal_shape.fullmatch(postal))
            ):
                out.writerow([*row.values(), "rejected"])
                return
            person_id = row["id"].strip() or None
            for column, value in (("email_hash", email), ("phone_hash", phone)):
                if person_id is not None:
                    break
                if value is None:
                    continue
                found = ledger.store.read(
                    f"SELECT id FROM persons WHERE {column} = ? ORDER BY seq LIMIT 1",
                    (keyed(value.encode()),),
                )
                person_id = found[0][0] if found else None
            if person_id is None:
                out.writerow([*row.values(), "unknown"])
                return
            decision = decide_person(ledger, person_id, campaign)
            codes = ";".join(decision.codes)
            citations = " | ".join(f"{c.code}: {c.citation}" for c in decision.reasons)
            out.writerow([*row.values(), decision.allowed, decision.basis, codes, citations])

        per_row = _per_row(one, lines, warmup)
    return per_row * rows


SHORT = """
import sys, os
from pathlib import Path
import licite.scrub.narrow as narrow
from licite.scrub.run import scrub
folder, short, read = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if read == "whole":
    narrow.NARROW_ROWS = 0
else:  # by index even past the scrub's own limits, to find where it stops paying
    narrow.NARROW_ROWS, narrow.NARROW_SHARE = 10**9, 1.0
os.environ["LICITE_KEY_DIR"] = str(folder / "keys")
summary = scrub(short, folder / "campaign.json", short.with_suffix(f".{read}"),
                database_url=f"sqlite:///{folder / 'ledger.db'}", overwrite=True).summary
assert summary["ledger_read"] == read, summary["ledger_read"]
"""


def short_lists(folder: Path, rows: int, sizes: list[int]) -> list[dict[str, Any]]:
    """A short list (every n-th row of the big one) against the whole ledger, read by index
    (the scrub's choice up to `narrow.NARROW_ROWS`, forced past it) and whole, each in a
    fresh process."""
    results = []
    lines = (folder / "contacts.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    for size in sizes:
        step = max(1, rows // size)
        short = folder / f"short-{size}.csv"
        short.write_text("".join([lines[0], *lines[1::step][:size]]), encoding="utf-8")
        timed = {read: measure(SHORT, folder, short, read)[0] for read in ("by_index", "whole")}
        results.append({"rows": size, **{f"{k}_s": v for k, v in timed.items()}})
        print(json.dumps(results[-1]), file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[200_000])
    parser.add_argument("--events-per-contact", type=float, default=2.0)
    parser.add_argument("--bloctel-per-contact", type=float, default=0.5)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=Path("bench-data"))
    parser.add_argument(
        "--short",
        type=int,
        nargs="*",
        default=[],
        help="sizes of short lists to scrub against the largest ledger, by index and whole",
    )
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    folders: dict[int, Path] = {}
    for contacts in args.contacts:
        events = int(contacts * args.events_per_contact)
        bloctel = int(contacts * args.bloctel_per_contact)
        print(
            f"{contacts:,} contacts, {events:,} events, {bloctel:,} listed numbers", file=sys.stderr
        )
        folder = folders[contacts] = build(args.work, contacts, events, bloctel)
        baseline, baseline_mem = measure(BASELINE, folder)
        scrubbed, scrub_mem = measure(SCRUB, folder)
        into_page_cache(folder / "ledger.db")  # the loops' best case: no disk reads
        loop = engine_loop(folder, contacts, min(args.sample, contacts))
        rows_loop = row_loop(folder, contacts, min(args.sample, contacts))
        results.append(
            {
                "contacts": contacts,
                "events": events,
                "bloctel": bloctel,
                "baseline_s": baseline,
                "scrub_s": scrubbed,
                "ratio_vs_baseline": scrubbed / baseline,
                "engine_loop_s_extrapolated": loop,
                "speedup_vs_loop": loop / scrubbed,
                "row_loop_s_extrapolated": rows_loop,
                "speedup_vs_row_loop": rows_loop / scrubbed,
                "scrub_peak_gib": scrub_mem,
                "baseline_peak_gib": baseline_mem,
            }
        )
        print(json.dumps(results[-1]), file=sys.stderr)
    if args.short:
        largest = max(args.contacts)
        for r in short_lists(folders[largest], largest, args.short):
            print(
                f"short list of {r['rows']:,} rows: {r['by_index_s']:.2f} s by index,"
                f" {r['whole_s']:.2f} s reading the whole ledger"
            )
    print(
        f"{'contacts':>12}{'events':>12}{'bare DuckDB':>13}{'scrub':>9}{'ratio':>7}"
        f"{'loop (extrap.)':>16}{'speedup':>9}{'row loop':>10}{'speedup':>9}{'peak GiB':>10}"
    )
    for r in results:
        print(
            f"{r['contacts']:>12,}{r['events']:>12,}{r['baseline_s']:>12.1f}s"
            f"{r['scrub_s']:>8.1f}s{r['ratio_vs_baseline']:>7.2f}"
            f"{r['engine_loop_s_extrapolated']:>15.0f}s{r['speedup_vs_loop']:>8.0f}x"
            f"{r['row_loop_s_extrapolated']:>9.0f}s{r['speedup_vs_row_loop']:>8.0f}x"
            f"{r['scrub_peak_gib']:>10.2f}"
        )


if __name__ == "__main__":
    main()
