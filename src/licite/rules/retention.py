"""How long a person's data may be kept — RGPD art. 5(1)(e), CNIL référentiel
« gestion des activités commerciales » (délib. 2021-131; NS-048 before)
(law/retention.yaml).

A prospect's data is kept three years from the later of collection and the
person's last positive act towards the sender (a valid consent, a click, a
documentation request, a reply, a purchase — not an open: CNIL Spartoo,
SAN-2020-003). A customer's while the relationship lasts, then three years
from its end or the last positive act. Past that, an objection less than three
years old is kept as a suppression record only.
"""

from __future__ import annotations

from licite.rules.findings import Findings
from licite.rules.political import check_election
from licite.situation import Ask, Facts


def keep_data(ask: Ask, f: Facts, out: Findings) -> None:
    """Action `retain`: may the sender still keep this person's data?"""
    if f.known and f.within_retention:
        out.basis("WITHIN-RETENTION", "retention_ends")
    elif f.known and f.suppression:
        out.basis("SUPPRESSION-RECORD", "suppression_ends")
    else:
        out.block("RETENTION-EXPIRED")
    check_election(ask, f, out)


def check_retention(f: Facts, out: Findings) -> None:
    """A contact needs data the sender may still keep."""
    if f.known and not f.within_retention:
        out.block("RETENTION-EXPIRED")
