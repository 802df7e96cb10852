"""`licite scrub CONTACTS --campaign CAMPAIGN --out DIR`: a whole list, one law.

Steps: the campaign is read and checked on its own (problems reported once);
the list is read, normalized and its bad rows set aside; each row is matched
to the ledger and given its history; facts are read in DuckDB; the rules
decide once per distinct situation; the outputs are written into a staging
directory renamed into place at the end.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from licite.case import Campaign, load_campaign
from licite.documents import read_document
from licite.errors import BatchError, LiciteError, batch_error, is_disk_full
from licite.facts.scope import effective_sender
from licite.i18n import Lang, Text
from licite.ledger import Ledger
from licite.ledger.config import Location, key_directory
from licite.moments import micros
from licite.scrub.checks import campaign_problems
from licite.scrub.contacts import read_contacts, release_normalized
from licite.scrub.decisions import decide_rows
from licite.scrub.duck import attach_ledger, connect, define_hmac
from licite.scrub.exports import Style
from licite.scrub.list_source import ListOptions
from licite.scrub.narrow import read_histories, read_people, reads_by_index
from licite.scrub.normalize import install
from licite.scrub.outputs import staged, store_texts, summarize, write_csvs, write_summary
from licite.scrub.plan import Plan
from licite.scrub.report import write_report
from licite.scrub.run_record import file_record, run_record
from licite.scrub.sources import gather_events, match_people
from licite.target import check_target, locked, work_folder

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Scrubbed:
    out: Path
    summary: dict[str, Any]


def quiet(_: str) -> None:
    """No progress shown (output piped, or a library call)."""


def terminal_progress(lang: Lang) -> Progress:
    """Steps on stderr when it is a terminal; nothing when piped."""
    if not sys.stderr.isatty():
        return quiet
    started = time.monotonic()

    def show(step: str) -> None:
        sys.stderr.write(f"\r\033[K[{time.monotonic() - started:6.1f} s] {step}")
        sys.stderr.flush()
        if step.endswith("."):
            sys.stderr.write("\n")

    del lang
    return show


DEFAULT_MEMORY_LIMIT = "6500MB"
"""DuckDB's working memory for a scrub: ten million rows peaked at 6.3 GiB with it
(docs/benchmarks.md), under the 8 GiB a scrub may take."""


def scrub(
    contacts: Path,
    campaign_file: Path,
    out: Path,
    *,
    database_url: str | None = None,
    at: datetime | None = None,
    lang: Lang = "fr",
    progress: Progress = quiet,
    threads: int | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    overwrite: bool = False,
    list_options: ListOptions | None = None,
    style: Style | None = None,
    pdf: bool = False,
) -> Scrubbed:
    """Scrub `contacts` into `out` (refused when `out` holds anything licite did not write,
    or a previous output without `overwrite`; see `licite.target`)."""
    started = time.monotonic()
    campaign = load_campaign(read_document(campaign_file), name=str(campaign_file))
    with Ledger.open(database_url, must_exist=True) as ledger:
        location, hmac_key = ledger.location, ledger.keys.hmac
        # People are numbered by their chain: the last number bounds how many there are.
        ledger_people = ledger.store.read("SELECT coalesce(max(seq), 0) FROM persons")[0][0]
    inputs = [contacts, campaign_file, *ledger_files(location)]
    check_target(out, inputs=inputs, overwrite=overwrite, what="scrub")
    with locked(out):
        previous = check_target(out, inputs=inputs, overwrite=overwrite, what="scrub")
        return _scrub(
            contacts,
            out,
            previous,
            campaign,
            location,
            hmac_key,
            ledger_people,
            at=at,
            lang=lang,
            progress=progress,
            threads=threads,
            memory_limit=memory_limit,
            started=started,
            outputs=_Outputs(campaign_file, list_options, style, pdf),
        )


@dataclass(frozen=True, slots=True)
class _Outputs:
    """How the list is read and the results written, as the command asked."""

    campaign_file: Path
    list_options: ListOptions | None
    style: Style | None
    pdf: bool


def _scrub(
    contacts: Path,
    out: Path,
    previous: list[str],
    campaign: Campaign,
    location: Location,
    hmac_key: bytes,
    ledger_people: int,
    *,
    at: datetime | None,
    lang: Lang,
    progress: Progress,
    threads: int | None,
    memory_limit: str,
    started: float,
    outputs: _Outputs,
) -> Scrubbed:
    # Past `memory_limit`, DuckDB spills its tables to this directory instead of growing.
    spill = work_folder(out, "spill")
    try:
        con = connect(threads=threads, memory_limit=memory_limit, spill_to=str(spill))
    except BaseException:
        shutil.rmtree(spill, ignore_errors=True)
        raise
    try:
        install(con)
        define_hmac(con, hmac_key)
        if location.in_memory:
            raise BatchError(
                Text(
                    "le scrub lit une base sur disque, pas :memory:",
                    "the scrub reads a store on disk, not :memory:",
                )
            )
        attach_ledger(con, location.url)
        plan = Plan.of(campaign, at=at)
        plan = Plan.of(campaign, at=plan.at, sender=_effective_sender(con, plan))
        problems = campaign_problems(plan)
        progress(Text("lecture de la liste", "reading the list")(lang))
        source = read_contacts(con, contacts, outputs.list_options, workdir=Path(spill))
        record = source.file.record() if source.file else file_record(contacts)
        progress(Text("rapprochement avec le registre", "matching the ledger")(lang))
        good = con.execute("SELECT count(*) FROM contacts").fetchone()
        store = "ledger"
        if reads_by_index(location.url, good[0] if good else 0, ledger_people):
            read_people(con)
            store = "narrow"
        match_people(con, micros(plan.at), store, plan.address_column)
        if store == "narrow":
            read_histories(con, micros(plan.at))
        gather_events(con, micros(plan.at), ledger_people, store, plan.sender.id)
        release_normalized(con)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW scrub_rows AS"
            " SELECT row_id, person_id, person_kind, place, has_address FROM matched"
        )
        progress(Text("décisions", "deciding")(lang))
        situations = decide_rows(con, plan)
        for name in ("VIEW e", "VIEW scrub_events", "TABLE scrub_marks"):
            con.execute(f"DROP {name}")  # read into the facts: only spill from now on
        progress(Text("écriture des résultats", "writing the results")(lang))
        matched = con.execute("SELECT count(person_id) FROM matched").fetchone()
        with staged(out, previous) as work:
            store_texts(con, plan, situations, lang)
            write_csvs(con, work, source.extras, lang, outputs.style)
            summary = summarize(
                con,
                plan,
                situations,
                problems,
                lang,
                {
                    "matched_in_ledger": matched[0] if matched else 0,
                    "ledger_read": "by_index" if store == "narrow" else "whole",
                    "contacts_file": str(contacts),
                    **run_record(record, outputs.campaign_file),
                    "seconds": round(time.monotonic() - started, 3),
                },
            )
            write_summary(work, summary)
            write_report(work / "report.html", plan, summary, con, lang, pdf=outputs.pdf)
        progress(Text(f"terminé : {out}.", f"done: {out}.")(lang))
        return Scrubbed(out, summary)
    except (duckdb.Error, OSError) as error:
        if isinstance(error, OSError) and not is_disk_full(error):
            raise
        raise batch_error(error, out) from None
    except LiciteError:
        raise
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def ledger_files(location: Location) -> list[Path]:
    """The ledger's files and key folder: an output folder may neither hold nor lie inside
    them."""
    found = []
    if location.dialect == "sqlite" and not location.in_memory:
        found += [Path(location.path + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    keys = key_directory(location)
    if keys is not None:
        found.append(keys)
    return found


def _effective_sender(con: duckdb.DuckDBPyConnection, plan: Plan) -> Any:
    """The sender, its list cleaning read from the ledger's imports (R. 223-6,
    `licite.facts.scope.effective_sender`)."""
    if plan.sender.bloctel_checked_at is not None:
        return plan.sender
    row = con.execute(
        "SELECT max(imported_at_us) FROM ledger.suppression_imports"
        " WHERE list = 'bloctel' AND imported_at_us <= ?",
        [micros(plan.at)],
    ).fetchone()
    return effective_sender(plan.sender, None if row is None else row[0])
