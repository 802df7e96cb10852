"""Campaigns registered in the ledger (`licite campaigns add CAMPAIGN.yaml`).

A campaign is SPEC §2's campaign file with its `id`: the API decides a person
against it by name, the scrub runs it, the mail gateway finds it from a
message's `X-Licite-Campaign` header. Adding an id again records a new version
(the latest is the one in use) instead of rewriting the old one: a decision
made last month can still be traced to the campaign as it stood then.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from licite.case import Campaign, load_campaign
from licite.errors import InvalidInput, ProblemError
from licite.i18n import Text
from licite.ledger.journal import Batch
from licite.ledger.ledger import Ledger
from licite.ledger.store import Transaction
from licite.moments import PARIS, iso


@dataclass(frozen=True, slots=True)
class Stored:
    id: str
    version: int
    document: dict[str, Any]
    added_at_us: int

    @property
    def campaign(self) -> Campaign:
        return load_campaign(self.document, name=f"campaign {self.id}")

    def summary(self) -> dict[str, Any]:
        from datetime import datetime

        added = datetime.fromtimestamp(self.added_at_us / 1e6, PARIS)
        return {
            "id": self.id,
            "version": self.version,
            "added_at": iso(added),
            "title": self.document.get("title"),
            "sender": self.document["sender"]["id"],
            "action": self.document["request"]["action"],
            "channel": self.document["request"].get("channel"),
            "purpose": self.document["request"].get("purpose"),
        }


def add_campaign(ledger: Ledger, document: object, name: str = "campaign") -> Stored:
    """Validate `document` as a campaign with an `id` and record it as the id's next version."""
    campaign = load_campaign(document, name=name)
    if campaign.id is None:
        raise InvalidInput(
            Text(
                "id : une campagne enregistrée a un identifiant (champ `id`)",
                "id: a registered campaign needs an identifier (field `id`)",
            )
        )
    assert isinstance(document, dict)
    stored: dict[str, Any] = {k: v for k, v in document.items() if k != "expect"}
    text = json.dumps(stored, ensure_ascii=False, sort_keys=True, default=str)
    campaign_id = campaign.id
    now = time.time_ns() // 1000
    made: list[Stored] = []

    def insert(tx: Transaction) -> None:
        version = tx.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM campaigns WHERE id = ?", (campaign_id,)
        )[0][0]
        tx.execute(
            "INSERT INTO campaigns (id, version, document, added_at_us) VALUES (?, ?, ?, ?)",
            (campaign_id, version, text, now),
        )
        made.append(Stored(campaign_id, int(version), json.loads(text), now))

    ledger.journal.commit(Batch(also=[insert]))
    return made[0]


def list_campaigns(ledger: Ledger) -> list[Stored]:
    rows = ledger.store.read(
        "SELECT c.id, c.version, c.document, c.added_at_us FROM campaigns c"
        " JOIN (SELECT id, MAX(version) AS version FROM campaigns GROUP BY id) latest"
        " ON latest.id = c.id AND latest.version = c.version ORDER BY c.id"
    )
    return [Stored(r[0], int(r[1]), json.loads(r[2]), int(r[3])) for r in rows]


def get_campaign(ledger: Ledger, campaign_id: str) -> Stored:
    rows = ledger.store.read(
        "SELECT id, version, document, added_at_us FROM campaigns WHERE id = ?"
        " ORDER BY version DESC LIMIT 1",
        (campaign_id,),
    )
    if not rows:
        raise ProblemError(
            "not-found",
            Text(
                f"campaign : aucune campagne {campaign_id!r} enregistrée"
                " (licite campaigns add CAMPAIGN.yaml)",
                f"campaign: no campaign {campaign_id!r} registered"
                " (licite campaigns add CAMPAIGN.yaml)",
            ),
        )
    r = rows[0]
    return Stored(r[0], int(r[1]), json.loads(r[2]), int(r[3]))
