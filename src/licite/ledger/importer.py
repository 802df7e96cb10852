"""`licite ledger import`: JSON lines (SPEC §4) or a CSV of people, in large batches.

Each batch is one transaction through the journal; after it commits, the
importer reports the last line it covers ("acknowledged"). A bad line is
rejected with its number and field and the rest goes on. Importing is
idempotent: an event already recorded (same keyed content hash) is skipped, and
a person line for an id already recorded is skipped when it says the same
thing, rejected when it says something else (the ledger is append-only:
corrections are events, not rewrites), and skipped when the person was erased
(re-importing an old file must not bring an erased person back).
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from licite.errors import InvalidInput, shown
from licite.i18n import Text
from licite.ledger.events import with_evidence
from licite.ledger.journal import Batch, NewEvent
from licite.ledger.ledger import Ledger
from licite.ledger.pipeline import RawBatch, helpers_for, prepared_batches
from licite.ledger.prepare import Item, Prepared, Preparer
from licite.ledger.schema import EPOCHS

BATCH_LINES = 10_000
CSV_HEADER = ("id", "kind", "email", "phone", "postal_code")


@dataclass(slots=True)
class ImportReport:
    lines: int = 0
    persons_added: int = 0
    persons_unchanged: int = 0
    persons_erased: int = 0
    events_added: int = 0
    events_duplicate: int = 0
    rejected: list[tuple[int, Text]] = field(default_factory=list)


Acknowledge = Callable[[int, ImportReport], None]


def import_file(
    ledger: Ledger,
    path: Path,
    *,
    batch_lines: int = BATCH_LINES,
    acknowledge: Acknowledge | None = None,
    helpers: int | None = None,
) -> ImportReport:
    """Import `path` batch by batch; `helpers` processes prepare batches (default: one
    per spare core for a file of several megabytes, none for a small one)."""
    report = ImportReport()
    if helpers is None:
        helpers = helpers_for(_size(path))
    batches = _batches(path, batch_lines)
    preparer = Preparer(ledger.keys)
    with (
        _no_cycle_collection(),
        closing(prepared_batches(batches, preparer, ledger.keys, helpers)) as prepared,
    ):
        for batch in prepared:
            report.lines = batch.last_line
            _commit(ledger, batch, report, acknowledge)
    return report


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """An import allocates millions of short-lived objects, none in a cycle: the cyclic
    collector's passes over them cost a third of the time, and reference counting
    frees them anyway."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it says why


def _batches(path: Path, batch_lines: int) -> Iterator[RawBatch]:
    items: list[Item] = []
    for item in _items(path):
        items.append(item)
        if len(items) >= batch_lines:
            yield items, item[0]
            items = []
    if items:
        yield items, items[-1][0]


def _items(path: Path) -> Iterator[Item]:
    try:
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8", newline="") as text:
                yield from _csv_items(text)
        else:
            with path.open("rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    if raw.strip():
                        yield number, raw
    except OSError as error:
        raise InvalidInput(
            Text(
                f"{path} : lecture impossible ({error.strerror})",
                f"{path}: cannot be read ({error.strerror})",
            )
        ) from None


def _csv_items(text: io.TextIOWrapper) -> Iterator[Item]:
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except UnicodeDecodeError:
        yield 1, Text("n'est pas en UTF-8", "is not UTF-8")
        return
    except csv.Error as error:
        raise InvalidInput(Text(f"ligne 1 : {error}", f"line 1: {error}")) from None
    if header is None or tuple(h.strip() for h in header) != CSV_HEADER:
        raise InvalidInput(
            Text(
                f"ligne 1 : en-tête {','.join(CSV_HEADER)} attendu (reçu {shown(header)})",
                f"line 1: expected header {','.join(CSV_HEADER)} (got {shown(header)})",
            )
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield reader.line_num + 1, Text("n'est pas en UTF-8", "is not UTF-8")
            return
        except csv.Error as error:  # a field past the csv module's limit (128 KiB): that line
            yield reader.line_num, Text(f"CSV illisible : {error}", f"unreadable CSV: {error}")
            continue
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CSV_HEADER):
            yield (
                number,
                Text(
                    f"{len(CSV_HEADER)} colonnes attendues, {len(row)} reçues",
                    f"expected {len(CSV_HEADER)} columns, got {len(row)}",
                ),
            )
            continue
        cells = {k: (v.strip() or None) for k, v in zip(CSV_HEADER, row, strict=True)}
        yield number, {"type": "person", **cells}


def _commit(
    ledger: Ledger, prepared: Prepared, report: ImportReport, acknowledge: Acknowledge | None
) -> None:
    report.rejected.extend(prepared.rejected)
    events, event_lines, wordings = _sealed(ledger, prepared, report)
    batch = Batch(persons=prepared.persons, events=events, wordings=wordings)
    done = ledger.journal.commit(batch)
    for index in done.person_conflicts:
        report.rejected.append((prepared.person_lines[index], _conflict(batch.persons[index].id)))
    for index in done.events_orphaned:
        report.rejected.append((event_lines[index], _unknown(events[index].person_id)))
    report.persons_added += done.persons_added
    report.persons_unchanged += done.persons_unchanged
    report.persons_erased += len(done.persons_erased)
    report.events_added += done.events_added
    report.events_duplicate += done.events_duplicate
    if acknowledge is not None:
        acknowledge(prepared.last_line, report)


def _sealed(
    ledger: Ledger, prepared: Prepared, report: ImportReport
) -> tuple[list[NewEvent], list[int], dict[str, str]]:
    """The batch's events with their evidence sealed under each person's key, and their
    consent wordings; an event whose person has no key (unknown, erased) is rejected."""
    events, lines = prepared.events, prepared.event_lines
    dropped: set[int] = set()
    if prepared.evidence:
        people = {events[position].person_id for position in prepared.evidence}
        keys = _person_keys(ledger, people, prepared.fresh_keys)
        events = list(events)
        for position, evidence in prepared.evidence.items():
            person_id = events[position].person_id
            key = keys.get(person_id)
            if key is None:
                report.rejected.append((lines[position], _no_key(person_id)))
                dropped.add(position)
            else:
                events[position] = with_evidence(events[position], evidence, key)
        if dropped:
            events = [e for i, e in enumerate(events) if i not in dropped]
            lines = [n for i, n in enumerate(lines) if i not in dropped]
    wordings = {sha: text for at, (sha, text) in prepared.wordings.items() if at not in dropped}
    return events, lines, wordings


def _person_keys(
    ledger: Ledger, wanted: set[str], fresh_keys: dict[str, bytes]
) -> dict[str, bytes]:
    """The keys of these people: recorded ones from the ledger, new ones from the batch."""
    keys: dict[str, bytes] = {}
    recorded: set[str] = set()
    ordered = sorted(wanted)
    epoch = "k.epoch" if ledger.epochs.schema >= EPOCHS else "0"
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = ledger.store.read(
            f"SELECT p.id, k.wrapped, {epoch} FROM persons p"
            " LEFT JOIN person_keys k ON k.person_id = p.id"
            f" WHERE p.id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for person_id, wrapped, in_epoch in rows:
            recorded.add(person_id)
            if wrapped is not None:  # an erased person has no key any more
                keys[person_id] = ledger.epochs.unwrap(person_id, wrapped, in_epoch)
    for person_id in wanted - recorded:
        if person_id in fresh_keys:
            keys[person_id] = fresh_keys[person_id]
    return keys


def _unknown(person_id: str) -> Text:
    return Text(
        f"person : aucune personne {person_id!r} dans le registre ; importez d'abord sa ligne"
        ' {"type": "person", …}',
        f"person: no person {person_id!r} in the ledger; import its"
        ' {"type": "person", …} line first',
    )


def _conflict(person_id: str) -> Text:
    return Text(
        f"id : la personne {person_id!r} est déjà enregistrée avec d'autres données"
        " (le registre ne réécrit pas ; enregistrez un événement)",
        f"id: person {person_id!r} is already recorded with different data"
        " (the ledger does not rewrite; record an event)",
    )


def _no_key(person_id: str) -> Text:
    return Text(
        f"proof : la personne {person_id!r} est inconnue ou effacée, sa preuve ne peut être"
        " chiffrée",
        f"proof: person {person_id!r} is unknown or erased; its evidence cannot be sealed",
    )
