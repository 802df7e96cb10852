"""`licite retention due --within 60d`: whose clock ends soon, with a link to ask them.

CNIL référentiel « gestion des activités commerciales »: before a prospect's three years
end, the sender may ask them once whether they want to keep hearing from it; without a
positive answer, the data goes. The list is the engine's own `retain` answers (the same
`Plan` a run applies): every WITHIN-RETENTION answer whose `expires_at` falls in the
window, with the person's preference-centre link (`/p/…`, signed, expiring:
`licite.service.links`), where a consent given restarts the clock (SPEC 1.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from licite.ledger.ledger import Ledger
from licite.moments import iso
from licite.retention.plan import Plan


@dataclass(frozen=True, slots=True)
class Due:
    person: str
    sender: str
    expires_at: datetime


def due(ledger: Ledger, at: datetime, within: timedelta, sender: str | None = None) -> list[Due]:
    plan = Plan(ledger, at, sender)
    horizon = at + within
    found = [
        Due(verdict.person, a.sender, a.expires_at)
        for verdict in plan.verdicts()
        for a in verdict.answers
        if a.code == "WITHIN-RETENTION"
        and a.expires_at is not None
        and a.expires_at < horizon
        and (sender is None or a.sender == sender)
    ]
    return sorted(found, key=lambda d: (d.expires_at, d.person, d.sender))


def with_links(found: list[Due], key: bytes, public_url: str, days: int) -> list[dict[str, Any]]:
    """Each row with the person's preference-centre link for that sender."""
    from licite.service.links import make_link

    rows = []
    for d in found:
        link = make_link(key, d.person, d.sender, days=days)
        rows.append(
            {
                "person": d.person,
                "sender": d.sender,
                "expires_at": iso(d.expires_at),
                "preferences_link": f"{public_url}/p/{link.token}",
            }
        )
    return rows
