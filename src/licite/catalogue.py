"""The rule catalogue: every code licite can emit, with its citations by date.

One YAML file per legal text lives in `licite/law/`; each code there carries
its kind, its citation for each period it was in force (a code may be cited
differently before and after the GDPR, say), an explanation in French and in
English, and, for codes that block, what would make the action lawful and what
is at stake. The files are checked when loaded: a missing language, an empty
citation, a citation naming an impossible date, overlapping or unordered
periods are errors, not silent defaults. A code asked for at a moment when it
was not in force is an error too — the engine must not cite a rule that did
not yet exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, Literal

from licite.errors import CatalogueError, NotModelled
from licite.i18n import Text
from licite.moments import PARIS
from licite.parameters import law_document, parameters, start

Kind = Literal["basis", "refusal", "detail", "block", "obligation", "warning"]
KINDS: tuple[Kind, ...] = ("basis", "refusal", "detail", "block", "obligation", "warning")
LAW_FILES = (
    "analysis",
    "consent",
    "marketing",
    "objection",
    "provenance",
    "phone",
    "retention",
    "political",
)

# A citation names a text we know, and any date it spells out must exist
# (OpenFisca carries "Décret 76-570 du 40/06/1976"; we refuse such a thing).
_SOURCES = re.compile(
    r"^(CPCE|C\. consom\.|C\. pén\.|C\. trav\.|RGPD|Loi n° |loi n° |Décret n° |CNIL|CJUE|CE,|Arcep)"
)
_MONTH_NAMES = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
)
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES.split(), start=1)}
_SPELLED_DATE = re.compile(r"\b(1er|\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})\b")
_TEXT_NUMBER = re.compile(r"n° (\d{2,4})-\d+")


@dataclass(frozen=True, slots=True)
class Version:
    """A citation and the period (inclusive days, Paris calendar) it was in force."""

    since: date
    until: date | None
    citation: str

    def covers(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    kind: Kind
    versions: tuple[Version, ...]
    text: Text
    remedy: Text | None
    exposure: Text | None
    doctrine: tuple[str, ...]
    law: str

    @property
    def since(self) -> date:
        return self.versions[0].since

    @property
    def until(self) -> date | None:
        return self.versions[-1].until

    def version_on(self, day: date) -> Version | None:
        for version in self.versions:
            if version.covers(day):
                return version
        return None


@dataclass(frozen=True, slots=True)
class Law:
    """One legal text's file: its title, reference and the codes it defines."""

    name: str
    text: str
    url: str
    rules: tuple[Rule, ...]


@cache
def laws() -> tuple[Law, ...]:
    return tuple(_load_law(name) for name in LAW_FILES)


@cache
def catalogue() -> dict[str, Rule]:
    """Every code, from every legal text; a code defined twice is an error."""
    rules: dict[str, Rule] = {}
    for law in laws():
        for rule in law.rules:
            if rule.code in rules:
                raise CatalogueError(
                    Text(
                        f"code {rule.code} défini dans {rules[rule.code].law} et {law.name}",
                        f"code {rule.code} defined in both {rules[rule.code].law} and {law.name}",
                    )
                )
            rules[rule.code] = rule
    return rules


def rule(code: str) -> Rule:
    try:
        return catalogue()[code]
    except KeyError:
        raise CatalogueError(
            Text(f"code {code} absent du catalogue", f"code {code} is not in the catalogue")
        ) from None


def version_at(code: str, moment: datetime) -> Version:
    """The citation in force at `moment`; CatalogueError when the rule was not in force."""
    day = moment.astimezone(PARIS).date()
    version = rule(code).version_on(day)
    if version is None:
        raise CatalogueError(
            Text(
                f"{code} n'était pas en vigueur le {day.isoformat()}",
                f"{code} was not in force on {day.isoformat()}",
            )
        )
    return version


def in_force(day: date) -> list[tuple[Rule, Version]]:
    """Every rule in force on `day`; NotModelled when nothing is."""
    found = [(r, v) for r in catalogue().values() if (v := r.version_on(day)) is not None]
    if not found:
        first = min(r.since for r in catalogue().values())
        raise NotModelled(
            Text(
                f"aucune règle n'est modélisée le {day.isoformat()} (début : {first.isoformat()})",
                f"no rule is modelled on {day.isoformat()} (first: {first.isoformat()})",
            )
        )
    return found


def _load_law(name: str) -> Law:
    data = law_document(f"{name}.yaml")
    where = f"law/{name}.yaml"
    rules = tuple(_parse_rule(code, body, where) for code, body in data["rules"].items())
    return Law(name=name, text=str(data["text"]), url=str(data["url"]), rules=rules)


def _parse_rule(code: str, body: dict[str, Any], where: str) -> Rule:
    def bad(problem: str) -> CatalogueError:
        return CatalogueError(Text(f"{where} {code} : {problem}", f"{where} {code}: {problem}"))

    allowed = {"kind", "versions", "fr", "en", "remedy", "exposure", "doctrine"}
    if unknown := set(body) - allowed:
        raise bad(f"unknown keys {sorted(unknown)}")
    if not re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)*", code):
        raise bad("code must be UPPER-KEBAB-CASE")
    kind = body.get("kind")
    if kind not in KINDS:
        raise bad(f"kind {kind!r} not one of {KINDS}")
    versions = tuple(_parse_version(v, bad) for v in body.get("versions") or ())
    if not versions:
        raise bad("no version")
    for earlier, later in pairwise(versions):
        if earlier.until is None or later.since != earlier.until + timedelta(days=1):
            raise bad("versions must follow each other day after day")
    for field in ("fr", "en"):
        if not str(body.get(field) or "").strip():
            raise bad(f"missing explanation in {field}")
    blocking = kind in ("refusal", "detail", "block")
    remedy = _text(body.get("remedy"), bad, "remedy")
    if blocking and remedy is None:
        raise bad("a blocking code needs a remedy in fr and en")
    return Rule(
        code=code,
        kind=kind,
        versions=versions,
        text=Text(str(body["fr"]).strip(), str(body["en"]).strip()),
        remedy=remedy,
        exposure=_text(body.get("exposure"), bad, "exposure"),
        doctrine=tuple(str(d) for d in body.get("doctrine") or ()),
        law=where,
    )


def _parse_version(raw: Any, bad: Any) -> Version:
    if not isinstance(raw, dict) or set(raw) - {"since", "until", "citation"}:
        raise bad(f"version {raw!r} must have since, citation and optionally until")
    try:
        since = _day(raw["since"], ends=False)
        until = _day(raw["until"], ends=True) if raw.get("until") else None
    except (KeyError, ValueError) as error:
        raise bad(f"version dates: {error}") from None
    if until is not None and until < since:
        raise bad("a version ends before it starts")
    citation = str(raw.get("citation") or "").strip()
    check_citation(citation, bad)
    return Version(since=since, until=until, citation=citation)


def _day(raw: Any, *, ends: bool) -> date:
    """A version's day: a date, or `@name`, the day the rule `name` of law/parameters.yaml
    starts (for `until`, the day before it): a switch date is written once."""
    text = str(raw)
    if not text.startswith("@"):
        return date.fromisoformat(text)
    name = text[1:]
    if name not in parameters() or parameters()[name].kind != "date":
        raise ValueError(f"{text}: no such date in law/parameters.yaml")
    first = start(name).date()
    return first - timedelta(days=1) if ends else first


def check_citation(citation: str, bad: Any) -> None:
    """A citation names a known source, and every date it spells out exists."""
    if not _SOURCES.match(citation):
        raise bad(f"citation {citation!r} does not name a known source")
    for day, month, year in _SPELLED_DATE.findall(citation):
        try:
            date(int(year), _MONTHS[month], 1 if day == "1er" else int(day))
        except ValueError:
            raise bad(f"citation {citation!r} names an impossible date") from None
    for year in _TEXT_NUMBER.findall(citation):
        if len(year) == 4 and not 1945 <= int(year) <= 2100:
            raise bad(f"citation {citation!r} has an implausible text number")


def _text(raw: Any, bad: Any, field: str) -> Text | None:
    if raw is None:
        return None
    if (
        not isinstance(raw, dict)
        or not str(raw.get("fr") or "").strip()
        or not str(raw.get("en") or "").strip()
    ):
        raise bad(f"{field} needs fr and en")
    return Text(str(raw["fr"]).strip(), str(raw["en"]).strip())
