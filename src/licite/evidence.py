"""The dated facts a decision rests on (SPEC §3 `evidence`).

The rules see only settled booleans (`Facts`), so that the scrub can decide a
situation once for many rows. A person reading one decision needs more: which
consent expired and when, which objection, which calls. This module goes back
to the history for one decision and picks, for the basis and each reason, the
events of the kinds that code is about, for this sender, plus the moments
computed from them (`{"type": "lapse"}`: the end of a consent's year, of the
retention period, of a refusal's cooling-off). It never changes a decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from licite.case import Consent, Event, Interaction, Request
from licite.i18n import Lang, Text
from licite.moments import PARIS, iso
from licite.parameters import period
from licite.situation import Facts
from licite.vocabulary import POSITIVE_INTERACTIONS, Action, CallOutcome, InteractionKind
from licite.wording import local_day, word

if TYPE_CHECKING:
    from licite.decision import Decision

_CONSENTS = ("consent", "withdrawal")
_RETENTION = (
    "collected",
    "customer",
    "customer_end",
    "contract",
    "contract_end",
    "interaction",
    "objection",
)

# The event types each code is about; a code absent here rests on the request alone.
KINDS: Mapping[str, tuple[str, ...]] = {
    "CONSENT": _CONSENTS,
    "CONSENT-WITHDRAWN": (*_CONSENTS, "call"),  # a refused call takes a phone consent back
    "CONSENT-NOT-SPECIFIC": ("consent",),
    "CONSENT-VIA-TERMS": ("consent",),
    "CONSENT-PRETICKED": ("consent",),
    "CONSENT-MISLEADING": ("consent",),
    "CONSENT-IMPLICIT": ("consent",),
    "CONSENT-EXPIRED": _CONSENTS,
    "CONSENT-NO-PROOF": ("collected",),
    "ANALYSIS-NO-CONSENT": _CONSENTS,
    "PROSPECT-NO-CONSENT": _CONSENTS,
    "PHONE-NO-CONSENT": _CONSENTS,
    "POLITICAL-NO-CONSENT": _CONSENTS,
    "PHONE-OUTSIDE-HOURS": ("consent",),
    "OBJECTED": ("objection", "consent"),
    "SUPPRESSION-RECORD": ("objection",),
    "SOFT-OPT-IN": ("customer", "customer_end"),
    "SOFT-OPT-IN-NOT-ANALOGOUS": ("customer",),
    "SOFT-OPT-IN-NOT-OFFERED": ("collected",),
    "B2B-NO-OPT-OUT": ("collected",),
    "B2B-RELEVANT": ("collected",),
    "CONTRACT": ("contract", "contract_end"),
    "SECTOR-BAN": ("contract", "contract_end"),
    "BLOCTEL-REGISTERED": ("bloctel", "bloctel_removed"),
    "PHONE-FREQUENCY-CAP": ("call",),
    "PHONE-REFUSAL-COOLDOWN": ("call",),
    "PROVENANCE-TERMS-FORBID": ("collected",),
    "PROVENANCE-NOT-INFORMED": ("collected",),
    "PROVENANCE-NO-PARTNER-CONSENT": ("collected",),
    "PROVENANCE-PURPOSE-DIVERSION": ("collected",),
    "OBL-ART14-INFORM": ("collected",),
    "POLITICAL-REGULAR-CONTACT": ("collected",),
    "POLITICAL-OPINION-INFERRED": ("opinion_inferred",),
    "WITHIN-RETENTION": _RETENTION,
    "RETENTION-EXPIRED": _RETENTION,
}
_LATEST_ONLY = frozenset({"collected"})
"""Only the latest collection tells where the data as now held came from."""
_ANY_SENDER = frozenset({"CONSENT-NOT-SPECIFIC", "OBJECTED", "SUPPRESSION-RECORD"})


@dataclass(frozen=True, slots=True)
class Fact:
    """One dated fact: an event of the history, or a moment computed from events."""

    at: datetime
    type: str
    details: tuple[tuple[str, Any], ...] = ()
    of: str | None = None
    """For a lapse: what ends (consent, retention, suppression, inform, cooldown)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": iso(self.at.astimezone(PARIS)), "type": self.type}
        if self.of is not None:
            out["of"] = self.of
        out.update(self.details)
        return out

    def describe(self, lang: Lang) -> str:
        """`consentement du 25/10/2025 par case à cocher (e-mail)` — a fact in one phrase."""
        day = local_day(self.at, lang)
        if self.type == "lapse":
            return _LAPSES.get(self.of or "", _LAPSE)(lang).format(day=day)
        fields = dict(self.details)
        head = f"{word(self.type, lang)} {Text('du', 'of')(lang)} {day}"
        parts: list[str] = []
        if "mechanism" in fields:
            parts.append(f"{Text('par', 'by')(lang)} {word(fields['mechanism'], lang)}")
        extras = [
            word(fields[k], lang)
            for k in ("kind", "outcome", "method", "channel", "purpose", "via")
            if k in fields
        ]
        extras += [str(fields[k]) for k in ("sender", "object", "processing") if k in fields]
        if extras:
            parts.append(f"({', '.join(extras)})")
        if "wording" in fields:
            parts.append(f"« {fields['wording']} »" if lang == "fr" else f"“{fields['wording']}”")
        return " ".join([head, *parts])


_LAPSE = Text("échéance le {day}", "lapses on {day}")
_LAPSES: Mapping[str, Text] = {
    "consent": Text("expiré le {day}", "expired on {day}"),
    "consent_expires": Text("expire le {day}", "expires on {day}"),
    "retention": Text("fin de la durée de conservation le {day}", "retention ends on {day}"),
    "suppression": Text(
        "fin de la liste d'opposition le {day}", "end of the suppression record on {day}"
    ),
    "inform": Text("information due au plus tard le {day}", "information due by {day}"),
    "cooldown": Text("pas d'appel avant le {day}", "no call before {day}"),
    "calls_window": Text("appels comptés depuis le {day}", "calls counted since {day}"),
}
_SKIP = frozenset({"at", "type", "outside_hours", "terms_forbid_reuse"})


def fact_of(event: Event) -> Fact:
    fields = event.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    details = tuple((k, v) for k, v in fields.items() if k not in _SKIP and v not in ((), []))
    return Fact(event.at, event.type, details)


def gather(
    decision: Decision,
    *,
    history: Sequence[Event],
    request: Request,
    sender: str,
    at: datetime,
    facts: Facts,
) -> dict[str, tuple[Fact, ...]]:
    """The evidence for the decision's basis and each of its reasons, from `history`."""
    codes = ((decision.basis,) if decision.basis else ()) + decision.codes
    out: dict[str, tuple[Fact, ...]] = {}
    for code in codes:
        kinds = KINDS.get(code)
        if not kinds:
            continue
        picked = [
            e
            for e in history
            if e.type in kinds
            and (code in _ANY_SENDER or _concerns(e, sender))
            and _matters(e, code, at)
        ]
        for kind in _LATEST_ONLY & set(kinds):
            same = [e for e in picked if e.type == kind]
            picked = [e for e in picked if e.type != kind or e is same[-1]]
        found = [fact_of(e) for e in picked]
        found += _lapses(code, picked, request=request, at=at, facts=facts)
        if found:
            out[code] = tuple(sorted(found, key=lambda f: f.at))
    return out


def _concerns(event: Event, sender: str) -> bool:
    other = getattr(event, "sender", None)
    return other is None or other in (sender, "all")


def _matters(event: Event, code: str, at: datetime) -> bool:
    """Leave out what cannot bear on the code. E-mail opens stay: they are the facts a
    reader expects to have kept the data, and the decision says they did not (CNIL)."""
    if isinstance(event, Interaction):
        return event.kind in POSITIVE_INTERACTIONS or event.kind is InteractionKind.OPEN
    if code in ("PHONE-REFUSAL-COOLDOWN", "CONSENT-WITHDRAWN") and event.type == "call":
        return getattr(event, "outcome", None) is CallOutcome.REFUSED
    if code == "PHONE-FREQUENCY-CAP":
        return period("call_window", at).before(at) <= event.at < at
    return True


def _lapses(
    code: str, events: Sequence[Event], *, request: Request, at: datetime, facts: Facts
) -> list[Fact]:
    if code == "CONSENT-EXPIRED":
        year = period("analysis_consent", at)
        return [
            Fact(year.after(e.at), "lapse", of="consent")
            for e in events
            if isinstance(e, Consent) and year.after(e.at) <= at
        ]
    if code == "CONSENT" and request.action is Action.ANALYZE and facts.consent_expires:
        return [Fact(facts.consent_expires, "lapse", of="consent_expires")]
    if code in ("WITHIN-RETENTION", "RETENTION-EXPIRED") and facts.retention_ends:
        return [Fact(facts.retention_ends, "lapse", of="retention")]
    if code == "SUPPRESSION-RECORD" and facts.suppression_ends:
        return [Fact(facts.suppression_ends, "lapse", of="suppression")]
    if code in ("PROVENANCE-NOT-INFORMED", "OBL-ART14-INFORM") and facts.inform_deadline:
        return [Fact(facts.inform_deadline, "lapse", of="inform")]
    if code == "PHONE-REFUSAL-COOLDOWN":
        cooldown = period("refusal_cooldown", at)
        return [Fact(cooldown.after(e.at), "lapse", of="cooldown") for e in events]
    if code == "PHONE-FREQUENCY-CAP":
        return [Fact(period("call_window", at).before(at), "lapse", of="calls_window")]
    return []
