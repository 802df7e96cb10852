"""Decisions and the catalogue as people read them (the human form of `decide` and `rules`)."""

from __future__ import annotations

from licite.catalogue import Rule, Version, rule
from licite.decision import Citation, Decision
from licite.i18n import Lang, Text

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
}


def explain_decision(decision: Decision, lang: Lang) -> str:
    verdict = _LABELS["allowed" if decision.allowed else "refused"](lang)
    head = f"{verdict} — {decision.case or '-'} @ {decision.at.isoformat()}"
    lines = [head, "=" * len(head)]
    if decision.basis_citation is not None:
        lines.append(f"{_LABELS['basis'](lang)}: {_cited(decision.basis_citation, lang)}")
        lines.append(f"  {decision.basis_citation.text(lang)}")
    if decision.reasons:
        lines.append(f"{_LABELS['reasons'](lang)}:")
        for reason in decision.reasons:
            lines.append(f"  ✗ {_cited(reason, lang)}")
            lines.append(f"    {reason.text(lang)}")
            entry = rule(reason.code)
            if entry.remedy is not None:
                lines.append(f"    → {_LABELS['remedy'](lang)}: {entry.remedy(lang)}")
            if entry.exposure is not None:
                lines.append(f"    ! {_LABELS['exposure'](lang)}: {entry.exposure(lang)}")
    for key, items in (("obligations", decision.obligations), ("warnings", decision.warnings)):
        if items:
            lines.append(f"{_LABELS[key](lang)}:")
            for item in items:
                lines.append(f"  • {_cited(item, lang)}")
                lines.append(f"    {item.text(lang)}")
    if decision.expires_at is not None:
        lines.append(f"{_LABELS['expires'](lang)}: {decision.expires_at.isoformat()}")
    return "\n".join(lines)


def _cited(item: Citation, lang: Lang) -> str:
    return f"{item.code} — {item.citation} ({_LABELS['since'](lang)} {item.in_force_since})"


def rule_row(entry: Rule, version: Version, lang: Lang) -> dict[str, object]:
    return {
        "code": entry.code,
        "kind": entry.kind,
        "citation": version.citation,
        "in_force_from": version.since.isoformat(),
        "in_force_until": version.until.isoformat() if version.until else None,
        "explanation": entry.text(lang),
        "explanations": {"fr": entry.text.fr, "en": entry.text.en},
        "law": entry.law,
    }
