"""Collecting what the rules find into a verdict (SPEC §3).

Each rule adds what it finds: a basis that holds (with the moments at which it
would lapse), a blocking reason, the domain's refusal code with the detail
codes explaining it, an obligation, a warning. `verdict()` then applies the
contract: allowed when some basis holds and nothing blocks; the basis is the
first in the precedence of SPEC §1; a refusal code and its details appear only
when no basis holds; obligations and warnings belong to allowed decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BASIS_PRECEDENCE: tuple[str, ...] = (
    "EXEMPT-ANALYSIS",
    "NOT-PROSPECTING",
    "CONSENT",
    "TRANSITIONAL-PERIOD",
    "CONTRACT",
    "PRESS-EXCEPTION",
    "SOFT-OPT-IN",
    "POLITICAL-REGULAR-CONTACT",
    "B2B-RELEVANT",
    "GENERIC-ADDRESS",
    "NON-COMMERCIAL",
    "OPT-OUT",
    "WITHIN-RETENTION",
    "SUPPRESSION-RECORD",
)
_RANK = {code: rank for rank, code in enumerate(BASIS_PRECEDENCE)}
_ANY_BASIS = "*"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome as codes; citations and moments are added by `licite.decision`."""

    allowed: bool
    basis: str | None
    reasons: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    expires: tuple[str, ...] = ()
    """Names of the moments whose earliest is `expires_at`."""


@dataclass(slots=True)
class Findings:
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refusal: str | None = None
    details: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    obligations: list[str] = field(default_factory=list)
    warnings: dict[str, str] = field(default_factory=dict)
    lapses: list[str] = field(default_factory=list)

    def basis(self, code: str, *expires: str) -> None:
        """`code` holds; it lapses at the earliest of the named moments."""
        self.bases.setdefault(code, expires)

    def refuse(self, code: str) -> None:
        """The domain's refusal code, reported when no basis holds."""
        self.refusal = self.refusal or code

    def detail(self, code: str) -> None:
        """Why a consent or an exception that was there does not count."""
        if code not in self.details:
            self.details.append(code)

    def block(self, code: str) -> None:
        if code not in self.blocks:
            self.blocks.append(code)

    def oblige(self, code: str, *lapses: str) -> None:
        """An obligation of an allowed action; the right lapses at the named moments."""
        if code not in self.obligations:
            self.obligations.append(code)
        self.lapses.extend(lapses)

    def warn(self, code: str, *, with_basis: str) -> None:
        """A warning shown when `with_basis` is the decision's basis."""
        self.warnings[code] = with_basis

    def warn_any(self, code: str) -> None:
        """A warning shown on any allowed decision."""
        self.warnings[code] = _ANY_BASIS

    def lapse(self, *moments: str) -> None:
        """An allowed decision changes at the earliest of these moments (a rule that comes
        into force, a window that closes), whatever its basis."""
        self.lapses.extend(moments)

    def verdict(self) -> Verdict:
        chosen = min(self.bases, key=_RANK.__getitem__) if self.bases else None
        if chosen is not None and not self.blocks:
            return Verdict(
                allowed=True,
                basis=chosen,
                obligations=tuple(self.obligations),
                warnings=tuple(c for c, b in self.warnings.items() if b in (chosen, _ANY_BASIS)),
                expires=self.bases[chosen] + tuple(self.lapses),
            )
        reasons: list[str] = []
        if chosen is None and self.refusal is not None:
            reasons = [self.refusal, *self.details]
        reasons.extend(self.blocks)
        if not reasons:
            raise AssertionError("a refusal must name at least one reason")
        return Verdict(allowed=False, basis=None, reasons=tuple(reasons))
