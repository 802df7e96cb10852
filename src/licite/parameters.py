"""The legal values, dated (law/parameters.yaml), read for the moment at hand.

Every period, cap, calling window, number range and day on which a rule starts
is a parameter: a list of values, each with the day it took effect and the
text, article and link that set it (as OpenFisca does). The rules, the facts
reader, the batch scrub's SQL, the texts shown to users and the tests' edge
generators all read a parameter here for the moment they decide; changing the
law is one dated value added to the YAML file.

The file is checked when loaded: values in date order, no two from the same
day (an overlap), a reference for each, a value of the parameter's kind. A
moment before the first value reads the first: the rules that use a
parameter are not in force before it (their own start is a parameter too).

`use_law(directory)` reads another copy of the law files (the mutation tests
do): every cache of this module is cleared on the way in and out.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from licite.errors import CatalogueError
from licite.i18n import Text
from licite.moments import PARIS, paris_day, shift

KINDS = ("period", "count", "date", "hours", "prefixes")
_PERIOD = re.compile(r"^(\d{1,3}) (day|days|month|months|year|years)$")
_override: Path | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """N days, months or years, added on the Paris calendar (SPEC §1)."""

    days: int = 0
    months: int = 0

    def after(self, moment: datetime) -> datetime:
        return shift(moment, self.days, self.months)

    def before(self, moment: datetime) -> datetime:
        return shift(moment, -self.days, -self.months)

    @property
    def text(self) -> Text:
        """ "trois ans" / "3 years"."""
        if self.months and self.months % 12 == 0:
            n, fr_unit, en_unit = self.months // 12, ("an", "ans"), "year"
        elif self.months:
            n, fr_unit, en_unit = self.months, ("mois", "mois"), "month"
        else:
            n, fr_unit, en_unit = self.days, ("jour", "jours"), "day"
        fr = f"{french_number(n)} {fr_unit[n > 1]}"
        return Text(fr, f"{n} {en_unit}{'s' if n > 1 else ''}")


@dataclass(frozen=True, slots=True)
class Reference:
    text: str
    article: str
    url: str


@dataclass(frozen=True, slots=True)
class Step:
    since: date
    value: Any
    reference: Reference


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    kind: str
    about: Text
    steps: tuple[Step, ...]

    def step_on(self, day: date) -> Step:
        index = bisect.bisect_right([s.since for s in self.steps], day) - 1
        return self.steps[max(index, 0)]

    def shown(self, value: Any) -> Text:
        """The value as a user reads it, in French and English."""
        if isinstance(value, Period):
            return value.text
        if isinstance(value, date):
            return Text(value.isoformat(), value.isoformat())
        if self.kind == "hours":
            spans = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in value)
            return Text(spans, spans)
        if self.kind == "prefixes":
            listed = ", ".join(value)
            return Text(listed, listed)
        return Text(french_number(value), str(value))


@cache
def parameters() -> dict[str, Parameter]:
    """Every parameter of law/parameters.yaml, checked."""
    where = "law/parameters.yaml"
    data = law_document("parameters.yaml")
    return {name: _parameter(name, body, where) for name, body in data["parameters"].items()}


def law_file(name: str) -> str:
    """The text of law/`name`, from the package or the directory `use_law` names."""
    if _override is not None:
        return (_override / name).read_text(encoding="utf-8")
    return resources.files("licite.law").joinpath(name).read_text(encoding="utf-8")


def law_document(name: str) -> Any:
    """The parsed YAML of law/`name`. A cold start reads it from licite's cache (JSON,
    keyed by the file's SHA-256, `licite.cache`) rather than parsing the YAML; either
    way the caller checks it the same."""
    from licite import cache as file_cache

    text = law_file(name)
    stem = f"law-{name.removesuffix('.yaml')}-"
    entry = f"{stem}{file_cache.digest(name, text)[:32]}"
    found = file_cache.read(entry)
    if isinstance(found, dict):
        return found
    from licite.documents import parse_text

    data = parse_text(text, name=f"law/{name}")
    if isinstance(data, dict) and json.loads(json.dumps(data)) == data:
        file_cache.write(entry, data, family=stem)  # what JSON gives back unchanged
    return data


def values_at(moment: datetime) -> dict[str, Any]:
    """Every parameter's value in force at `moment` (its Paris day), in one lookup: the
    same dict for every moment since the law's latest change."""
    since, latest = _all_latest()
    if moment >= since:
        return latest
    return _values_on(moment.astimezone(PARIS).date())


def value(name: str, moment: datetime) -> Any:
    """The value of `name` in force at `moment`."""
    return values_at(moment)[name]


@cache
def _all_latest() -> tuple[datetime, dict[str, Any]]:
    last = max(step.since for p in parameters().values() for step in p.steps)
    # In UTC: the moments compared with it are mostly instants (UTC), compared without a
    # zone lookup.
    since = paris_day(last.isoformat()).astimezone(UTC)
    return since, {n: p.steps[-1].value for n, p in parameters().items()}


@lru_cache(maxsize=1024)
def _values_on(day: date) -> dict[str, Any]:
    return {n: p.step_on(day).value for n, p in parameters().items()}


def period(name: str, moment: datetime) -> Period:
    found: Period = value(name, moment)
    return found


def count(name: str, moment: datetime) -> int:
    found: int = value(name, moment)
    return found


@cache
def start(name: str) -> datetime:
    """00:00 Paris on the day a rule starts (a `date` parameter; its latest value)."""
    found = parameters()[name].steps[-1].value
    assert isinstance(found, date)
    return paris_day(found.isoformat())


def hours(name: str, moment: datetime) -> tuple[tuple[time, time], ...]:
    found: tuple[tuple[time, time], ...] = value(name, moment)
    return found


def prefixes(name: str, moment: datetime) -> tuple[str, ...]:
    found: tuple[str, ...] = value(name, moment)
    return found


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill(text: Text, moment: datetime) -> Text:
    """A rule's text with each `{parameter}` replaced by its value at `moment`, in words
    ("trois ans" / "3 years")."""
    if "{" not in text.fr and "{" not in text.en:
        return text

    def shown(lang: str) -> Callable[[re.Match[str]], str]:
        def one(match: re.Match[str]) -> str:
            found = parameters()[match[1]]
            words = found.shown(found.step_on(moment.astimezone(PARIS).date()).value)
            return str(getattr(words, lang))

        return one

    return Text(_PLACEHOLDER.sub(shown("fr"), text.fr), _PLACEHOLDER.sub(shown("en"), text.en))


@contextmanager
def use_law(directory: Path) -> Iterator[None]:
    """Read the law files from `directory` (a copy of src/licite/law) within the block."""
    global _override
    previous, _override = _override, directory
    _clear()
    try:
        yield
    finally:
        _override = previous
        _clear()


def _clear() -> None:
    from licite import catalogue, decision

    parameters.cache_clear()
    _all_latest.cache_clear()
    _values_on.cache_clear()
    start.cache_clear()
    catalogue.laws.cache_clear()
    catalogue.catalogue.cache_clear()
    decision.clear_citations()


def _parameter(name: str, body: Any, where: str) -> Parameter:
    def bad(problem: str) -> CatalogueError:
        return CatalogueError(Text(f"{where} {name} : {problem}", f"{where} {name}: {problem}"))

    if not isinstance(body, dict) or set(body) - {"kind", "about", "values"}:
        raise bad("expected kind, about and values")
    kind = body.get("kind")
    if kind not in KINDS:
        raise bad(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    about = body.get("about") or {}
    if not (isinstance(about, dict) and about.get("fr") and about.get("en")):
        raise bad("about needs fr and en")
    raw_steps = body.get("values")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise bad("values: at least one dated value")
    steps = tuple(_step(raw, kind, bad) for raw in raw_steps)
    for earlier, later in pairwise(steps):
        if later.since <= earlier.since:
            raise bad(f"values overlap or are out of order at {later.since.isoformat()}")
    return Parameter(name, kind, Text(str(about["fr"]), str(about["en"])), steps)


def _step(raw: Any, kind: str, bad: Any) -> Step:
    if not isinstance(raw, dict) or set(raw) != {"since", "value", "reference"}:
        raise bad("each value needs since, value and reference (and nothing else)")
    since = raw["since"]
    if not isinstance(since, date):
        try:
            since = date.fromisoformat(str(since))
        except ValueError:
            raise bad(f"since: not a date ({since!r})") from None
    reference = raw["reference"]
    if not isinstance(reference, dict) or not all(
        isinstance(reference.get(k), str) and reference[k].strip()
        for k in ("text", "article", "url")
    ):
        raise bad(f"value since {since.isoformat()}: a reference needs text, article and url")
    return Step(since, _typed(raw["value"], kind, bad), Reference(**reference))


def _typed(raw: Any, kind: str, bad: Any) -> Any:
    if kind == "period":
        match = _PERIOD.match(str(raw))
        if not match:
            raise bad(f"value {raw!r}: expected 'N days', 'N months' or 'N years'")
        n, unit = int(match[1]), match[2].rstrip("s")
        return Period(days=n) if unit == "day" else Period(months=n * (12 if unit == "year" else 1))
    if kind == "count":
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
            raise bad(f"value {raw!r}: expected a positive whole number")
        return raw
    if kind == "date":
        try:
            return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError:
            raise bad(f"value {raw!r}: expected a date") from None
    if kind == "hours":
        try:
            windows = tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in raw)
        except (TypeError, ValueError):
            raise bad(f"value {raw!r}: expected [[HH:MM, HH:MM], …]") from None
        if any(a >= b for a, b in windows) or any(x[1] > y[0] for x, y in pairwise(windows)):
            raise bad(f"value {raw!r}: windows must be ordered and not overlap")
        return windows
    if not (isinstance(raw, list) and all(re.fullmatch(r"\+\d{3,15}", str(p)) for p in raw)):
        raise bad(f"value {raw!r}: expected a list of +digits prefixes")
    return tuple(str(p) for p in raw)


_UNITS = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
]
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def french_number(n: int) -> str:
    """0–99 in French words ("soixante", "quatre-vingt-dix"); digits beyond."""
    if n < 20:
        return _UNITS[n]
    if n >= 100:
        return str(n)
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix…, quatre-vingt-dix…
        base = "soixante" if tens == 7 else "quatre-vingt"
        joint = " et " if n == 71 else "-"
        return f"{base}{joint}{_UNITS[10 + unit]}"
    base = "quatre-vingt" if tens == 8 else _TENS[tens]
    if unit == 0:
        return "quatre-vingts" if tens == 8 else base
    joint = " et " if unit == 1 and tens != 8 else "-"
    return f"{base}{joint}{_UNITS[unit]}"
