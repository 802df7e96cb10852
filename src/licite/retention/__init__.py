"""Retention runs (issue 20): licite forgets on time, asks before it forgets, and shows it.

For every person of the ledger and every sender that holds them, the engine's own
`retain` decision (SPEC 1.6, through `licite.ledger.decide.decide_person`, the path of
`licite decide --person`): a person no sender may keep any longer (RETENTION-EXPIRED,
POLITICAL-ELECTION-ENDED) is erased through the ledger's irreversible erasure
(`licite.ledger.erasure`); GDPR art. 5(1)(e), CNIL référentiel « gestion des activités
commerciales » (délib. 2021-131), CNIL délib. 2012-020 for political files.
"""

from __future__ import annotations

from licite.retention.plan import Answer, Plan, Verdict
from licite.retention.runs import RunResult, run_retention

__all__ = ["Answer", "Plan", "RunResult", "Verdict", "run_retention"]
