"""What the mail gateway did with each recipient (`gateway_log`, schema v9; issue 19).

One row a recipient and a message: the campaign and its version, the keyed hash of the
address (never the address), the ledger's person when there is one, `delivered` with the
basis, `refused` with the reason codes or `upstream-refused` with the upstream's SMTP
code, and the moment. A message is known by the
SHA-256 of its bytes as received: a client that retries after a 451 sends the same bytes,
and the recipients it already reached are not sent a second copy.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from licite.ledger.ledger import Ledger
from licite.ledger.store import Row
from licite.moments import iso, moment_of_micros

DELIVERED = "delivered"
REFUSED = "refused"
UPSTREAM_REFUSED = "upstream-refused"
"""Allowed, but the upstream refused it for good (its SMTP code in `codes`)."""
COLUMNS = (
    "message_key",
    "campaign",
    "campaign_version",
    "recipient_hash",
    "person_id",
    "outcome",
    "codes",
    "at_us",
)


@dataclass(frozen=True, slots=True)
class Entry:
    recipient_hash: str
    person_id: str | None
    outcome: str
    codes: str


def message_key(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]


def delivered_before(ledger: Ledger, key: str) -> set[str]:
    return delivered_hashes(ledger.store.read(*delivered_statement(key)))


def delivered_statement(key: str) -> tuple[str, tuple[str, str]]:
    """The statement reading who an earlier try of the message reached (`delivered_hashes`)."""
    return (
        "SELECT recipient_hash FROM gateway_log WHERE message_key = ? AND outcome = ?",
        (key, DELIVERED),
    )


def delivered_hashes(rows: list[Row]) -> set[str]:
    """The recipients' keyed hashes `delivered_statement` read."""
    return {str(r[0]) for r in rows}


def record(ledger: Ledger, key: str, campaign: str, version: int, entries: list[Entry]) -> None:
    if not entries:
        return
    now = time.time_ns() // 1000
    rows = [
        (key, campaign, version, e.recipient_hash, e.person_id, e.outcome, e.codes, now)
        for e in entries
    ]

    ledger.store.append("gateway_log", COLUMNS, rows)


def report(ledger: Ledger, campaign: str | None = None) -> dict[str, dict[str, Any]]:
    """For each campaign (or the one named): recipients delivered and refused, and the
    refusals by reason code, as the campaign's report and the dashboard show them."""
    where, params = ("WHERE campaign = ?", (campaign,)) if campaign is not None else ("", ())
    rows = ledger.store.read(
        f"SELECT campaign, outcome, codes, COUNT(*) FROM gateway_log {where}"
        " GROUP BY campaign, outcome, codes ORDER BY campaign",
        params,
    )
    found: dict[str, dict[str, Any]] = {}
    for name, outcome, codes, count in rows:
        one = found.setdefault(name, {DELIVERED: 0, REFUSED: 0, "refused_by_code": {}})
        one[outcome] = one.get(outcome, 0) + int(count)
        if outcome == REFUSED:
            by_code: dict[str, int] = one["refused_by_code"]
            for code in codes.split():
                by_code[code] = by_code.get(code, 0) + int(count)
    return found


def for_person(ledger: Ledger, person_id: str, email_hash: str | None) -> list[dict[str, Any]]:
    """What the gateway did with messages to a person (GDPR art. 15): those decided for
    their record, and those to their address before the ledger knew them."""
    rows = ledger.store.read(
        "SELECT campaign, campaign_version, outcome, codes, at_us FROM gateway_log"
        " WHERE person_id = ? OR (person_id IS NULL AND recipient_hash = ?) ORDER BY at_us",
        (person_id, email_hash or ""),
    )
    return [
        {
            "campaign": r[0],
            "campaign_version": int(r[1]),
            "outcome": r[2],
            "codes": r[3].split(),
            "at": iso(moment_of_micros(int(r[4]))),
        }
        for r in rows
    ]
