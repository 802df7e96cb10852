"""Objection — RGPD art. 21 (Loi n° 78-17 art. 38 before 25 May 2018), CPCE L34-5
(law/objection.yaml).

An objection for this channel (or all) and this sender (or all) blocks every
commercial, charitable or political contact whatever the basis, until the
person gives a valid consent strictly later. Processing despite an objection
is an offence (C. pén. art. 226-18-1).
"""

from __future__ import annotations

from licite.rules.findings import Findings
from licite.situation import Facts


def check_objection(f: Facts, out: Findings) -> None:
    if f.objected:
        out.block("OBJECTED")
