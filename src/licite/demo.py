"""`make run`: the end-to-end job on embedded defaults.

A retailer's ledger of tens of thousands of people (customers, subscribers,
bought and scraped leads, unsubscribed people, opposition-list numbers, a few
erasures) is built in SQLite, a campaign list is drawn from it with the usual
defects of a real export (rows without id, a rented file of strangers,
malformed numbers and addresses, duplicates), and two campaigns are scrubbed:
a newsletter by email and a sales call. Each prints its summary table and the
path of its report.
"""

from __future__ import annotations

import csv
import json
import os
import random
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from licite.casebook import case_files, run_case
from licite.errors import OutputRefused
from licite.i18n import Lang, Text
from licite.ledger import Ledger, import_file
from licite.ledger.erasure import erase
from licite.ledger.suppression import import_list
from licite.moments import parse_moment
from licite.scrub.run import scrub, terminal_progress
from licite.synthetic import SyntheticPerson, population
from licite.target import (
    MANIFEST,
    check_target,
    locked,
    remove_listed,
    write_manifest,
)

CAMPAIGNS: dict[str, dict[str, Any]] = {
    "newsletter-email": {
        "id": "newsletter-email",
        "title": "Winter shoes newsletter",
        "at": "2026-11-24T10:00:00+01:00",
        "sender": {"id": "shop", "kind": "company"},
        "request": {
            "action": "contact",
            "channel": "email",
            "purpose": "commercial",
            "offer": "shoes",
        },
    },
    "sales-call": {
        "id": "sales-call",
        "title": "Calls about the new bag collection",
        "at": "2026-11-24T14:30:00+01:00",
        "sender": {"id": "shop", "kind": "company"},
        "request": {
            "action": "contact",
            "channel": "phone_call",
            "purpose": "commercial",
            "offer": "bags",
        },
    },
}


DEMO_FILES: tuple[str, ...] = (
    "licite.db",
    "licite.db-wal",
    "licite.db-shm",
    "licite.db-journal",
    "licite.db.keys",
    "ledger.jsonl",
    "contacts.csv",
    *(f"{name}.json" for name in CAMPAIGNS),
    *CAMPAIGNS,
)
"""Everything the demo writes in its folder: what its manifest lists, and all that
`--overwrite` may replace there."""


def run_demo(
    directory: Path,
    *,
    people: int,
    casebook: Path | None,
    lang: Lang,
    say: Callable[[str], None],
    overwrite: bool = False,
) -> None:
    """Build the demo in `directory`: a new or empty folder, or (with `overwrite`) a
    previous demo's, of which only the files its manifest lists are replaced."""
    check_target(directory, inputs=(), overwrite=overwrite, what="demo")
    with locked(directory):
        previous = check_target(directory, inputs=(), overwrite=overwrite, what="demo")
        foreign = [
            name
            for name in DEMO_FILES
            if name not in previous
            and ((directory / name).exists() or (directory / name).is_symlink())
        ]
        if foreign:
            raise OutputRefused(
                Text(
                    f"{directory} : {', '.join(foreign)} n'a pas été écrit par licite",
                    f"{directory}: {', '.join(foreign)} was not written by licite",
                )
            )
        directory.mkdir(parents=True, exist_ok=True)
        # From here a killed run leaves a folder its manifest still names as the demo's.
        write_manifest(directory, "demo", DEMO_FILES, complete=False)
        remove_listed(directory, [name for name in previous if name != MANIFEST])
        _run_demo(directory, people=people, casebook=casebook, lang=lang, say=say)
        write_manifest(directory, "demo", DEMO_FILES, complete=True)


def _run_demo(
    directory: Path, *, people: int, casebook: Path | None, lang: Lang, say: Callable[[str], None]
) -> None:
    started = time.monotonic()
    if casebook is not None:
        outcomes = [run_case(path) for path in case_files(casebook)]
        passed = sum(o.passed for o in outcomes)
        say(
            Text(
                f"Recueil de cas {casebook} : {passed} réussis, {len(outcomes) - passed} échoués",
                f"Casebook {casebook}: {passed} passed, {len(outcomes) - passed} failed",
            )(lang)
        )
    url = f"sqlite:///{directory / 'licite.db'}"
    os.environ["LICITE_DATABASE_URL"] = url
    crowd = list(population(people, seed=2026, until=date(2026, 11, 20)))
    say(
        Text(
            f"Registre : {len(crowd)} personnes dans {url}", f"Ledger: {len(crowd)} people in {url}"
        )(lang)
    )
    _build_ledger(directory, url, crowd, say, lang)
    contacts = _write_contacts(directory / "contacts.csv", crowd)
    for name, campaign in CAMPAIGNS.items():
        campaign_file = directory / f"{name}.json"
        campaign_file.write_text(json.dumps(campaign, indent=2), encoding="utf-8")
        result = scrub(
            contacts,
            campaign_file,
            directory / name,
            database_url=url,
            lang=lang,
            progress=terminal_progress(lang),
        )
        say("")
        say(_table(name, result.summary, lang))
        say(
            Text(
                f"Rapport : {result.out / 'report.html'}", f"Report: {result.out / 'report.html'}"
            )(lang)
        )
    say(
        Text(
            f"Terminé en {time.monotonic() - started:.1f} s.",
            f"Done in {time.monotonic() - started:.1f} s.",
        )(lang)
    )


def _build_ledger(
    directory: Path, url: str, crowd: list[SyntheticPerson], say: Callable[[str], None], lang: Lang
) -> None:
    lines = directory / "ledger.jsonl"
    with lines.open("w", encoding="utf-8") as handle:
        for person in crowd:
            fields = {k: v for k, v in person.person().items() if v is not None}
            handle.write(json.dumps({"type": "person", "id": person.id, **fields}) + "\n")
            for event in person.history:
                handle.write(json.dumps({"person": person.id, **event}) + "\n")
    rng = random.Random(7)
    with Ledger.open(url) as ledger:
        report = import_file(ledger, lines, acknowledge=_acknowledge(say, lang))
        say(
            Text(
                f"  {report.events_added} événements importés",
                f"  {report.events_added} events imported",
            )(lang)
        )
        listed = [p.phone for p in crowd if p.persona == "opposition list" and p.phone]
        strangers = [f"06{rng.randrange(10**8):08d}" for _ in range(len(crowd))]
        import_list(ledger, "bloctel", [*listed, *strangers], parse_moment("2026-11-16"))
        for person in rng.sample(crowd, max(1, len(crowd) // 500)):
            erase(ledger, person.id, parse_moment("2026-10-01"))
        say(
            Text(
                "  liste d'opposition importée, quelques personnes effacées (RGPD art. 17)",
                "  opposition list imported, a few people erased (GDPR art. 17)",
            )(lang)
        )


def _acknowledge(say: Callable[[str], None], lang: Lang) -> Callable[[int, Any], None]:
    last = [0.0]

    def show(line: int, _: Any) -> None:
        if time.monotonic() - last[0] > 2:
            last[0] = time.monotonic()
            say(Text(f"  … ligne {line}", f"  … line {line}")(lang))

    return show


def _write_contacts(path: Path, crowd: list[SyntheticPerson]) -> Path:
    """The list as a CRM export looks: most rows with their id, some found by address only,
    a rented file of strangers, and the usual defects."""
    rng = random.Random(11)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "kind", "email", "phone", "postal_code", "segment"])
        for index, person in enumerate(crowd):
            shown_id = "" if index % 9 == 0 else person.id
            writer.writerow(
                [
                    shown_id,
                    person.kind,
                    person.email or "",
                    person.phone or "",
                    person.postal_code or "",
                    person.persona,
                ]
            )
        for index in range(len(crowd) // 10):
            writer.writerow(
                [
                    "",
                    "consumer",
                    f"lead{index}@rented.example",
                    f"07{rng.randrange(10**8):08d}",
                    "75011",
                    "rented file",
                ]
            )
        for person in rng.sample(crowd, 5):
            writer.writerow([person.id, person.kind, person.email or "", "", "", "duplicate"])
        writer.writerow(["", "consumer", "not-an-address", "", "", "malformed"])
        writer.writerow(["", "consumer", "x@example.fr", "06 12", "", "malformed"])
        writer.writerow(["", "martian", "y@example.fr", "", "", "malformed"])
    return path


def _table(name: str, summary: dict[str, Any], lang: Lang) -> str:
    counts = summary["counts"]
    lines = [
        f"== {name} @ {summary['at']} ==",
        Text(
            f"{counts['rows']:>9,} lignes   {counts['allowed']:>9,} autorisées"
            f"   {counts['blocked']:>9,} bloquées   {counts['rejected']:>6,} rejetées",
            f"{counts['rows']:>9,} rows   {counts['allowed']:>9,} allowed"
            f"   {counts['blocked']:>9,} blocked   {counts['rejected']:>6,} rejected",
        )(lang),
    ]
    for check in summary["campaign_checks"]:
        lines.append(f"  ! {check['code']} — {check['citation']}")
    for basis, count in summary["by_basis"].items():
        lines.append(f"  + {basis:<32}{count:>9,}")
    for code, entry in summary["by_reason"].items():
        lines.append(f"  - {code:<32}{entry['count']:>9,}  {entry['citation']}")
    return "\n".join(lines)
