"""`POST /v1/people` and `POST /v1/events`: appends through the journal, whole or not at all.

The lines are the import's (SPEC §4, with the optional `proof` of consent) and
go through the same preparation (`ledger.prepare`) and sealing
(`ledger.importer`). Unlike a file import, a request is atomic: a line that
fails validation, an event of a person the ledger does not hold, a person id
already recorded with other data or erased — the whole request is refused with
a problem naming the line, and nothing is written. The checks that depend on
the ledger run inside the journal's transaction, under its lock, so two
replicas writing for the same people at once cannot both pass them.

Under an `Idempotency-Key` header the key, the request's digest and then the
answer are recorded: a retry gets the first answer back without a second write;
the same key with another body is a conflict.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from licite.errors import ProblemError
from licite.i18n import Text
from licite.ledger.importer import ImportReport, _sealed
from licite.ledger.journal import Batch, Committed
from licite.ledger.ledger import Ledger
from licite.ledger.prepare import Preparer
from licite.ledger.store import Transaction


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


class _Replay(Exception):
    """The idempotency key was already used: undo this transaction, answer from the record."""

    def __init__(self, row: tuple[Any, ...]) -> None:
        super().__init__("replay")
        self.row = row


def append(
    ledger: Ledger,
    lines: list[dict[str, Any]],
    *,
    key_id: str,
    idempotency_key: str | None,
    kind: str,
) -> Answer:
    """Append `lines` (people or events, `kind` names which, for messages)."""
    digest = hashlib.sha256(
        json.dumps([kind, lines], sort_keys=True, default=str).encode()
    ).hexdigest()
    items: list[tuple[int, bytes | dict[str, Any] | Text]] = [
        (index, dict(line)) for index, line in enumerate(lines)
    ]
    prepared = Preparer(ledger.keys)(items, len(lines) - 1)
    if prepared.rejected:
        raise _refused(kind, prepared.rejected)
    report = ImportReport()
    events, _, wordings = _sealed(ledger, prepared, report)
    if report.rejected:
        raise _refused(kind, report.rejected)
    persons = prepared.persons
    event_persons = sorted({e.person_id for e in events})

    def checks(tx: Transaction) -> None:
        _check_people(tx, persons, event_persons, kind)
        if idempotency_key is not None:
            _claim(tx, key_id, idempotency_key, digest)

    batch = Batch(persons=persons, events=events, wordings=wordings, also=[checks])
    try:
        done = ledger.journal.commit(batch)
    except _Replay as replay:
        return _replayed(replay.row, digest)
    answer = Answer(200, _body(done))
    if idempotency_key is not None:
        _record(ledger, key_id, idempotency_key, answer)
    return answer


def _body(done: Committed) -> dict[str, Any]:
    return {
        "persons_added": done.persons_added,
        "persons_unchanged": done.persons_unchanged,
        "events_added": done.events_added,
        "events_duplicate": done.events_duplicate,
        "head_seq": done.head_seq,
    }


def _check_people(tx: Transaction, persons: list[Any], event_persons: list[str], kind: str) -> None:
    """Under the journal's lock, after its writes: every event's person is recorded and not
    erased, and every person line matches what is recorded under its id."""
    wanted = sorted({p.id for p in persons} | set(event_persons))
    recorded = {
        r[0]: (r[1], r[2])
        for r in tx.where_in("SELECT id, fingerprint, erased_at_us FROM persons", "id", wanted)
    }
    for index, person in enumerate(persons):
        fingerprint, erased = recorded[person.id]
        if erased is not None or fingerprint != person.fingerprint:
            raise _refused(
                kind,
                [
                    (
                        index,
                        Text(
                            f"id : la personne {person.id!r} est déjà enregistrée avec d'autres"
                            " données ou effacée (le registre ne réécrit pas)",
                            f"id: person {person.id!r} is already recorded with other data"
                            " or erased (the ledger does not rewrite)",
                        ),
                    )
                ],
            )
    for person_id in event_persons:
        state = recorded.get(person_id)
        if state is None or state[1] is not None:
            raise ProblemError(
                "not-found",
                Text(
                    f"person : aucune personne {person_id!r} dans le registre (ou effacée)",
                    f"person: no person {person_id!r} in the ledger (or erased)",
                ),
            )


STALE_CLAIM_US = 60_000_000
"""A claim left without an answer this long (its process stopped between the write and
recording the answer) is taken over by the next request with the same key and body: the
write is applied again — a no-op, every line of it being recorded already — and answered."""


def _claim(tx: Transaction, key_id: str, idempotency_key: str, digest: str) -> None:
    now = time.time_ns() // 1000
    rows = tx.execute(
        "SELECT request_sha256, status, response, recorded_at_us FROM idempotency"
        " WHERE key_id = ? AND idempotency_key = ?",
        (key_id, idempotency_key),
    )
    if rows:
        request_sha256, _, response, claimed_at = rows[0]
        if response is None and request_sha256 == digest and now - claimed_at > STALE_CLAIM_US:
            tx.execute(
                "UPDATE idempotency SET recorded_at_us = ?"
                " WHERE key_id = ? AND idempotency_key = ?",
                (now, key_id, idempotency_key),
            )
            return
        raise _Replay(rows[0][:3])
    tx.execute(
        "INSERT INTO idempotency (key_id, idempotency_key, request_sha256, recorded_at_us)"
        " VALUES (?, ?, ?, ?)",
        (key_id, idempotency_key, digest, now),
    )


def _record(ledger: Ledger, key_id: str, idempotency_key: str, answer: Answer) -> None:
    text = json.dumps(answer.body, sort_keys=True)

    def update(tx: Transaction) -> None:
        tx.execute(
            "UPDATE idempotency SET status = ?, response = ?"
            " WHERE key_id = ? AND idempotency_key = ?",
            (answer.status, text, key_id, idempotency_key),
        )

    ledger.journal.commit(Batch(also=[update]))


def _replayed(row: tuple[Any, ...], digest: str) -> Answer:
    request_sha256, status, response = row
    if request_sha256 != digest:
        raise ProblemError(
            "idempotency-conflict",
            Text(
                "Idempotency-Key : cette clé a déjà servi pour une autre requête",
                "Idempotency-Key: this key was already used for another request",
            ),
        )
    if response is None:
        raise ProblemError(
            "idempotency-conflict",
            Text(
                "Idempotency-Key : la première requête avec cette clé n'a pas encore répondu ;"
                " réessayez",
                "Idempotency-Key: the first request with this key has not answered yet; retry",
            ),
        )
    return Answer(int(status), json.loads(response), replayed=True)


def _refused(kind: str, rejected: list[tuple[int, Text]]) -> ProblemError:
    """One problem for the whole request, each line's message prefixed with its place."""
    lines = sorted(rejected, key=lambda r: r[0])[:20]
    text = Text(
        "\n".join(f"{kind}[{i}].{t.fr}" for i, t in lines),
        "\n".join(f"{kind}[{i}].{t.en}" for i, t in lines),
    )
    return ProblemError("invalid-input", text)
