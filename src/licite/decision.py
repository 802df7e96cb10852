"""The decision (SPEC §3): a plain value, with every reason's citation at its moment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from licite.catalogue import rule, version_at
from licite.evidence import Fact
from licite.i18n import Lang, Text
from licite.moments import PARIS, iso, start_of_day
from licite.parameters import fill
from licite.rules.findings import Verdict
from licite.wording import citation as citation_in


@dataclass(frozen=True, slots=True)
class Citation:
    """A code as shown to a user: the article in force at the decision's moment."""

    code: str
    citation: str
    in_force_since: str
    text: Text

    def to_dict(self, lang: Lang, evidence: tuple[Fact, ...] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "citation": citation_in(self.citation, lang),
            "in_force_since": self.in_force_since,
            "message": self.text(lang),
            "messages": {"fr": self.text.fr, "en": self.text.en},
        }
        if evidence:
            out["evidence"] = [f.to_dict() for f in evidence]
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    case: str | None
    at: datetime
    allowed: bool
    basis: str | None
    reasons: tuple[Citation, ...]
    obligations: tuple[Citation, ...]
    warnings: tuple[Citation, ...]
    expires_at: datetime | None
    basis_citation: Citation | None = None
    find_evidence: Callable[[Decision], Mapping[str, tuple[Fact, ...]]] | None = field(
        default=None, compare=False, repr=False
    )
    """How to find the dated facts behind the basis and each reason (SPEC §3 v2): only a
    decision on one history has them (the scrub decides situations, not histories), and
    they are looked for only when shown — looking costs as much as deciding."""

    @property
    def evidence(self) -> Mapping[str, tuple[Fact, ...]]:
        """The facts by code (computed at each call: read it once)."""
        return self.find_evidence(self) if self.find_evidence is not None else {}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def to_dict(self, lang: Lang = "fr") -> dict[str, Any]:
        evidence = self.evidence
        out: dict[str, Any] = {
            "case": self.case,
            "at": iso(self.at),
            "allowed": self.allowed,
            "basis": self.basis,
            "reasons": [r.to_dict(lang, evidence.get(r.code, ())) for r in self.reasons],
            "obligations": [o.to_dict(lang) for o in self.obligations],
            "warnings": [w.to_dict(lang) for w in self.warnings],
            "expires_at": iso(self.expires_at),
        }
        if self.basis is not None and evidence.get(self.basis):
            out["evidence"] = [f.to_dict() for f in evidence[self.basis]]
        return out


def cite(code: str, at: datetime) -> Citation:
    return _cite_on(code, at.astimezone(PARIS).date())


@lru_cache(maxsize=4096)
def _cite_on(code: str, day: date) -> Citation:
    moment = start_of_day(day)
    version = version_at(code, moment)
    return Citation(
        code, version.citation, version.since.isoformat(), fill(rule(code).text, moment)
    )


def clear_citations() -> None:
    """Forget the citations made (the law files were read again: `parameters.use_law`)."""
    _cite_on.cache_clear()


def build_decision(
    verdict: Verdict,
    *,
    case: str | None,
    at: datetime,
    moments: Mapping[str, datetime | None],
    find_evidence: Callable[[Decision], Mapping[str, tuple[Fact, ...]]] | None = None,
) -> Decision:
    lapses = [m for name in verdict.expires if (m := moments.get(name)) is not None]
    day = at.astimezone(PARIS).date()  # every code is cited as it stood that day
    return Decision(
        case=case,
        at=at,
        allowed=verdict.allowed,
        basis=verdict.basis,
        reasons=tuple(_cite_on(c, day) for c in verdict.reasons),
        obligations=tuple(_cite_on(c, day) for c in verdict.obligations),
        warnings=tuple(_cite_on(c, day) for c in verdict.warnings),
        expires_at=min(lapses) if lapses else None,
        basis_citation=_cite_on(verdict.basis, day) if verdict.basis else None,
        find_evidence=find_evidence,
    )
