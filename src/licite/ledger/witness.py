"""An external witness: the signed heads, held where the store's writers cannot write.

The store alone cannot show that it was not replaced by an older copy of
itself, nor, to whoever holds the signing key, that its history was not
rewritten and signed again. Certificate Transparency answers this with signed
tree heads held by others (RFC 9162 §8.1): here `licite ledger witness --to
PATH` appends each new signed checkpoint, and the current signed head, to a
witness log, and `licite ledger verify --witness PATH` fails when the ledger
lacks anything witnessed, holds another hash at a witnessed seq, or is behind
the last witnessed head.

The log is JSON lines: a header line (`FORMAT`, the ledger's public key), then
one line per witnessed signature. It is only ever appended to, under a lock,
each append fsync'd; a file that does not start with a witness header is
refused, never written. A last line cut short by a crash is ignored; the next
append starts on a line of its own with a `cut_short` line naming it.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from licite.errors import InvalidInput, Tampered
from licite.i18n import Text
from licite.ledger.crypto import signature_holds
from licite.ledger.journal import Head

if TYPE_CHECKING:
    from licite.ledger.chain import Scan
    from licite.ledger.ledger import Ledger

FORMAT = "licite-witness/1"
CUT_SHORT = "cut_short"
"""The kind of the line an append writes after a line a crash cut short, naming it."""
_UNREADABLE = object()
_HEAD_FIELDS = ("event_seq", "event_hash", "person_seq", "person_hash", "signed_at_us")


@dataclass(frozen=True, slots=True)
class Signed:
    """One witnessed signature: checkpoint `number`, or the head (number None)."""

    head: Head
    signature: str
    number: int | None = None
    state: str = ""
    line: int = 0

    def message(self) -> str:
        if self.number is None:
            return self.head.head_message(self.state)
        return self.head.checkpoint_message(self.number)

    def entry(self, now: datetime) -> dict[str, Any]:
        kind: dict[str, Any] = {"kind": "head", "state": self.state}
        if self.number is not None:
            kind = {"kind": "checkpoint", "number": self.number}
        fields = {name: getattr(self.head, name) for name in _HEAD_FIELDS}
        return {
            **kind,
            **fields,
            "signature": self.signature,
            "witnessed_at": now.isoformat(),
        }


@dataclass(slots=True)
class WitnessLog:
    path: Path
    public_key: str
    checkpoints: dict[int, Signed] = field(default_factory=dict)
    last_head: Signed | None = None
    torn_line: int | None = None
    """The last line, when the file does not end with a newline (an append cut short by a
    crash): the next append starts on a new line and says so."""

    def seqs(self) -> tuple[frozenset[int], frozenset[int]]:
        """The person and event seqs whose hashes were witnessed."""
        signed = [*self.checkpoints.values(), *([self.last_head] if self.last_head else [])]
        return (
            frozenset(s.head.person_seq for s in signed),
            frozenset(s.head.event_seq for s in signed),
        )


@dataclass(frozen=True, slots=True)
class Witnessed:
    """What `verify --witness` found in the ledger: every witnessed checkpoint, and the
    last witnessed head (or a later one)."""

    checkpoints: int
    head: Head | None


@dataclass(frozen=True, slots=True)
class Appended:
    checkpoints: int
    head: bool


def witness(ledger: Ledger, path: Path) -> Appended:
    """Append to the log at `path` (created if absent) the checkpoints it does not hold
    yet and the current head, after checking that the ledger still holds what the log
    witnessed (a ledger cut back is refused, not witnessed)."""
    with _locked(path, create=True) as descriptor:
        log = _read(path, descriptor, header_for=ledger.public_key)
        _same_ledger(ledger, log)
        with ledger.store.snapshot():
            head, state, head_signature = _current_head(ledger)
            rows = ledger.store.read(
                "SELECT id, event_seq, event_hash, person_seq, person_hash, signed_at_us,"
                " signature FROM checkpoints ORDER BY id"
            )
        checkpoints = {int(r[0]): Signed(Head.from_row(r[1:6]), str(r[6]), int(r[0])) for r in rows}
        _holds_what_was_witnessed(log, head, checkpoints)
        fresh = [c for number, c in sorted(checkpoints.items()) if number not in log.checkpoints]
        current = Signed(head, head_signature, None, state)
        last = log.last_head
        new_head = last is None or (last.head, last.state) != (head, state)
        for signed in [*fresh, *([current] if new_head else [])]:
            if not signature_holds(ledger.public_key, signed.message(), signed.signature):
                what = "la tête" if signed.number is None else f"le point n° {signed.number}"
                what_en = "the head" if signed.number is None else f"checkpoint {signed.number}"
                raise Tampered(
                    Text(
                        f"{what} du registre a une signature qui ne tient pas : non témoigné",
                        f"{what_en} of the ledger has a signature that does not hold:"
                        " not witnessed",
                    )
                )
        now = datetime.now(UTC)
        lines = [signed.entry(now) for signed in [*fresh, *([current] if new_head else [])]]
        if lines and log.torn_line is not None:
            lines.insert(0, {"kind": CUT_SHORT, "line": log.torn_line})
        _append(path, descriptor, lines, newline_first=log.torn_line is not None)
    return Appended(len(fresh), new_head)


def read_witness(path: Path) -> WitnessLog:
    with _locked(path, create=False) as descriptor:
        return _read(path, descriptor, header_for=None)


def check_witness(
    ledger: Ledger,
    log: WitnessLog,
    head: Head,
    checkpoints: Sequence[Sequence[object]],
    persons: Scan,
    events: Scan,
) -> Witnessed:
    """Inside verify, once the chains are checked: name the first witnessed thing the
    ledger no longer holds."""
    _same_ledger(ledger, log)
    stored = {
        int(str(r[0])): Signed(Head.from_row(r[1:6]), str(r[6]), int(str(r[0])))
        for r in checkpoints
    }
    _holds_what_was_witnessed(log, head, stored)
    for signed in [*log.checkpoints.values(), *([log.last_head] if log.last_head else [])]:
        for seq, expected, found, what in (
            (signed.head.event_seq, signed.head.event_hash, events, Text("l'événement", "event")),
            (
                signed.head.person_seq,
                signed.head.person_hash,
                persons,
                Text("la fiche personne", "person record"),
            ),
        ):
            if seq and found.hashes_at.get(seq) != expected:
                raise Tampered(_diverges(log, signed, what, seq))
    return Witnessed(len(log.checkpoints), log.last_head.head if log.last_head else None)


def _holds_what_was_witnessed(log: WitnessLog, head: Head, stored: dict[int, Signed]) -> None:
    last = log.last_head
    if last is not None and not (
        head.event_seq >= last.head.event_seq
        and head.person_seq >= last.head.person_seq
        and head.signed_at_us >= last.head.signed_at_us
    ):
        raise Tampered(
            Text(
                f"le registre est en retard sur son témoin {log.path} : sa tête compte"
                f" {head.event_seq} événement(s) et {head.person_seq} fiche(s), le témoin en a vu"
                f" {last.head.event_seq} et {last.head.person_seq} le {_when(last.head)}"
                f" (ligne {last.line}) : il a été ramené en arrière ou remplacé par une copie"
                " plus ancienne",
                f"the ledger is behind its witness {log.path}: its head counts {head.event_seq}"
                f" event(s) and {head.person_seq} record(s), the witness saw"
                f" {last.head.event_seq} and {last.head.person_seq} at {_when(last.head)}"
                f" (line {last.line}): it was rolled back or replaced by an older copy",
            )
        )
    for number, signed in sorted(log.checkpoints.items()):
        found = stored.get(number)
        if found is None:
            raise Tampered(
                Text(
                    f"le point de contrôle n° {number} témoigné dans {log.path} (ligne"
                    f" {signed.line} : {signed.head.event_seq} événement(s), {_when(signed.head)})"
                    " manque au registre",
                    f"checkpoint {number} witnessed in {log.path} (line {signed.line}:"
                    f" {signed.head.event_seq} event(s), {_when(signed.head)}) is missing from"
                    " the ledger",
                )
            )
        if found.head != signed.head:
            raise Tampered(
                _diverges(log, signed, Text("le point de contrôle", "checkpoint"), number)
            )


def _diverges(log: WitnessLog, signed: Signed, what: Text, seq: int) -> Text:
    source = (
        Text("la tête témoignée", "the witnessed head")
        if signed.number is None
        else Text(
            f"le point de contrôle témoigné n° {signed.number}",
            f"witnessed checkpoint {signed.number}",
        )
    )
    return Text(
        f"le registre diverge de son témoin {log.path} : {what.fr} n° {seq} n'a plus"
        f" l'empreinte que {source.fr} (ligne {signed.line}) a signée : l'historique a été"
        " réécrit",
        f"the ledger diverges from its witness {log.path}: {what.en} {seq} no longer has the"
        f" hash {source.en} (line {signed.line}) signed: history was rewritten",
    )


def _same_ledger(ledger: Ledger, log: WitnessLog) -> None:
    if log.public_key != ledger.public_key:
        raise Tampered(
            Text(
                f"{log.path} témoigne d'un autre registre (clé publique {log.public_key[:16]}…,"
                f" ce registre : {ledger.public_key[:16]}…)",
                f"{log.path} witnesses another ledger (public key {log.public_key[:16]}…,"
                f" this ledger's: {ledger.public_key[:16]}…)",
            )
        )


def _current_head(ledger: Ledger) -> tuple[Head, str, str]:
    row = ledger.store.read(
        "SELECT event_seq, event_hash, person_seq, person_hash, signed_at_us, state, signature"
        " FROM heads WHERE id = 1"
    )
    if not row:
        raise Tampered(
            Text("la tête signée de la chaîne a disparu", "the signed chain head is gone")
        )
    return Head.from_row(row[0][:5]), str(row[0][5]), str(row[0][6])


def _when(head: Head) -> str:
    return datetime.fromtimestamp(head.signed_at_us / 1e6, UTC).isoformat(timespec="seconds")


@contextmanager
def _locked(path: Path, *, create: bool) -> Iterator[int]:
    """The log's file, open for appending under an exclusive lock (two witnesses run at
    once by cron append one after the other), or for reading under a shared one."""
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT if create else os.O_RDONLY
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as error:
        raise InvalidInput(
            Text(
                f"{path} : journal de témoin inaccessible ({error.strerror})",
                f"{path}: cannot open the witness log ({error.strerror})",
            )
        ) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX if create else fcntl.LOCK_SH)
        yield descriptor
    finally:
        os.close(descriptor)


def _read(path: Path, descriptor: int, *, header_for: str | None) -> WitnessLog:
    """The log as witnessed so far. An empty file becomes a new log for `header_for`'s
    ledger (the header written at once); anything else must be a witness log."""
    size = os.fstat(descriptor).st_size
    if size == 0 and header_for is not None:
        header = {"format": FORMAT, "public_key": header_for}
        header["created_at"] = datetime.now(UTC).isoformat()
        _append(path, descriptor, [header], newline_first=False)
        _sync_directory(path)
        return WitnessLog(path, header_for)
    data = os.pread(descriptor, size, 0)
    lines = data.split(b"\n")
    torn = lines[-1] != b""
    items = _parse(path, lines, torn)
    if not items or not isinstance(items[0][1], dict) or items[0][1].get("format") != FORMAT:
        raise InvalidInput(
            Text(
                f"{path} n'est pas un journal de témoin licite ({FORMAT}) : il n'est ni lu"
                " ni modifié",
                f"{path} is not a licite witness log ({FORMAT}): it is neither read nor written",
            )
        )
    log = WitnessLog(path, str(items[0][1].get("public_key")))
    if torn:
        log.torn_line = len(lines)
    for number, item in items[1:]:
        _add(log, number, item)
    return log


def _parse(path: Path, lines: list[bytes], torn: bool) -> list[tuple[int, Any]]:
    """Each line's number and value. A line that does not parse is an append cut short
    by a crash only when it is the last one (`torn`), or when the next line says so
    (`CUT_SHORT`, written by the append after it); any other is a fault."""
    parsed: list[tuple[int, Any]] = []
    for index, line in enumerate(lines):
        if line.strip():
            try:
                parsed.append((index + 1, json.loads(line)))
            except ValueError:
                parsed.append((index + 1, _UNREADABLE))
    items: list[tuple[int, Any]] = []
    for position, (number, item) in enumerate(parsed):
        if item is not _UNREADABLE:
            if not (isinstance(item, dict) and item.get("kind") == CUT_SHORT):
                items.append((number, item))
            continue
        following = parsed[position + 1][1] if position + 1 < len(parsed) else None
        if (torn and position == len(parsed) - 1) or following == {
            "kind": CUT_SHORT,
            "line": number,
        }:
            continue
        if not items:
            return []  # not a witness log at all
        raise Tampered(
            Text(
                f"{path} ligne {number} : ligne de témoin illisible",
                f"{path} line {number}: unreadable witness line",
            )
        )
    return items


def _add(log: WitnessLog, line: int, item: Any) -> None:
    try:
        head = Head.from_row([item[name] for name in _HEAD_FIELDS])
        if not all(isinstance(item[name], str) for name in ("event_hash", "person_hash")):
            raise TypeError(item)
        kind = item["kind"]
        number = int(item["number"]) if kind == "checkpoint" else None
        signed = Signed(head, str(item["signature"]), number, str(item.get("state", "")), line)
        if kind not in ("checkpoint", "head"):
            raise ValueError(kind)
    except (KeyError, TypeError, ValueError):
        raise Tampered(
            Text(
                f"{log.path} ligne {line} : ligne de témoin illisible",
                f"{log.path} line {line}: unreadable witness line",
            )
        ) from None
    if not signature_holds(log.public_key, signed.message(), signed.signature):
        raise Tampered(
            Text(
                f"{log.path} ligne {line} : la signature témoignée ne tient pas",
                f"{log.path} line {line}: the witnessed signature does not hold",
            )
        )
    if number is None:
        log.last_head = signed
    else:
        log.checkpoints[number] = signed


def _append(
    path: Path, descriptor: int, items: list[dict[str, Any]], *, newline_first: bool
) -> None:
    if not items:
        return
    text = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items)
    data = (b"\n" if newline_first else b"") + text.encode()
    try:
        while data:
            written = os.write(descriptor, data)
            data = data[written:]
        os.fsync(descriptor)
    except OSError as error:
        raise InvalidInput(
            Text(
                f"{path} : écriture dans le journal de témoin impossible ({error.strerror})",
                f"{path}: cannot write to the witness log ({error.strerror})",
            )
        ) from None


def _sync_directory(path: Path) -> None:
    """The new log's name, made durable in its folder."""
    try:
        descriptor = os.open(path.parent if str(path.parent) else Path("."), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
