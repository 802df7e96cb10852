"""Decisions and the catalogue as people read them (the human form of `decide` and `rules`).

A decision is read by someone who must act on it: under the basis and each
reason come the facts it rests on, in local dates ("consentement du 25/10/2025
par case à cocher — expiré le 25/10/2026"), and a next step only where it
applies to this person's history.
"""

from __future__ import annotations

from datetime import date

from licite.catalogue import Rule, Version, rule
from licite.decision import Citation, Decision
from licite.evidence import Fact
from licite.i18n import Lang, Text
from licite.moments import paris_day
from licite.parameters import Parameter, fill
from licite.wording import citation, local_day, local_moment

_LABELS = {
    "allowed": Text("AUTORISÉ", "ALLOWED"),
    "refused": Text("REFUSÉ", "REFUSED"),
    "basis": Text("Fondement", "Legal basis"),
    "reasons": Text("Motifs", "Reasons"),
    "remedy": Text("Pour agir légalement", "To act lawfully"),
    "obligations": Text("Obligations", "Obligations"),
    "warnings": Text("Avertissements", "Warnings"),
    "expires": Text("Valable jusqu'au", "Valid until"),
    "since": Text("en vigueur depuis le", "in force since"),
    "exposure": Text("Risque", "Exposure"),
    "facts": Text("Faits", "Facts"),
}

# A remedy's second clause that speaks of a fact the history may not hold: shown only
# when it does ("an email open does not extend the period" — to whom no email was opened).
_REMEDY_NEEDS: dict[str, str] = {"RETENTION-EXPIRED": "open"}


def explain_decision(decision: Decision, lang: Lang) -> str:
    verdict = _LABELS["allowed" if decision.allowed else "refused"](lang)
    head = f"{verdict} — {decision.case or '-'} — {local_moment(decision.at, lang)}"
    lines = [head, "=" * len(head)]
    evidence = decision.evidence
    if decision.basis_citation is not None:
        lines.append(f"{_LABELS['basis'](lang)}: {_cited(decision.basis_citation, lang)}")
        lines.append(f"  {decision.basis_citation.text(lang)}")
        lines.extend(_facts(evidence.get(decision.basis_citation.code, ()), lang, "  "))
    if decision.reasons:
        lines.append(f"{_LABELS['reasons'](lang)}:")
        for reason in decision.reasons:
            lines.append(f"  ✗ {_cited(reason, lang)}")
            lines.append(f"    {reason.text(lang)}")
            facts = evidence.get(reason.code, ())
            lines.extend(_facts(facts, lang, "    "))
            entry = rule(reason.code)
            remedy = _remedy(entry, facts, lang)
            if remedy:
                lines.append(f"    → {_LABELS['remedy'](lang)}: {remedy}")
            if entry.exposure is not None:
                exposure = citation(entry.exposure(lang), lang)
                lines.append(f"    ! {_LABELS['exposure'](lang)}: {exposure}")
    for key, items in (("obligations", decision.obligations), ("warnings", decision.warnings)):
        if items:
            lines.append(f"{_LABELS[key](lang)}:")
            for item in items:
                lines.append(f"  • {_cited(item, lang)}")
                lines.append(f"    {item.text(lang)}")
    if decision.expires_at is not None:
        lines.append(f"{_LABELS['expires'](lang)}: {local_moment(decision.expires_at, lang)}")
    return "\n".join(lines)


def _facts(facts: tuple[Fact, ...], lang: Lang, indent: str) -> list[str]:
    """Each event on its line, with the lapse computed from it after an em dash."""
    if not facts:
        return []
    lines = [f"{indent}{_LABELS['facts'](lang)}:"]
    for fact in facts:
        if fact.type == "lapse" and len(lines) > 1 and fact.of in ("consent", "consent_expires"):
            lines[-1] += f" — {fact.describe(lang)}"
        else:
            lines.append(f"{indent}  · {fact.describe(lang)}")
    return lines


def _remedy(entry: Rule, facts: tuple[Fact, ...], lang: Lang) -> str | None:
    if entry.remedy is None:
        return None
    text = entry.remedy(lang)
    needed = _REMEDY_NEEDS.get(entry.code)
    if needed is not None and not any(dict(f.details).get("kind") == needed for f in facts):
        text = text.split(";")[0].rstrip() + "."
    return text


def _cited(item: Citation, lang: Lang) -> str:
    since = local_day(date.fromisoformat(item.in_force_since), lang)
    return f"{item.code} — {citation(item.citation, lang)} ({_LABELS['since'](lang)} {since})"


def parameter_row(found: Parameter, day: date, lang: Lang) -> dict[str, object]:
    """A legal value as in force on `day`, with the text that sets it."""
    step = found.step_on(day)
    reference = step.reference
    return {
        "name": found.name,
        "kind": found.kind,
        "about": found.about(lang),
        "value": found.shown(step.value)(lang),
        "since": step.since.isoformat(),
        "reference": f"{reference.text}, {reference.article}",
        "url": reference.url,
    }


def rule_row(
    entry: Rule, version: Version, lang: Lang, day: date | None = None
) -> dict[str, object]:
    """A catalogue row; its texts with the parameters in force on `day` (else on the day the
    version starts)."""
    text = fill(entry.text, paris_day((day or version.since).isoformat()))
    return {
        "code": entry.code,
        "kind": entry.kind,
        "citation": citation(version.citation, lang),
        "citations": {"fr": version.citation, "en": citation(version.citation, "en")},
        "in_force_from": version.since.isoformat(),
        "in_force_until": version.until.isoformat() if version.until else None,
        "explanation": text(lang),
        "explanations": {"fr": text.fr, "en": text.en},
        "law": entry.law,
    }
