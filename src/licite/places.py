"""Where a consumer is, for the calling hours and public holidays of D. 223-9.

The place comes from the postal code first (971 Guadeloupe, 972 Martinique,
973 Guyane, 974 La Réunion, 976 Mayotte; 57, 67, 68 Alsace-Moselle), else from
the phone number (+590, +596, +594, +262, and +262 269 / +262 639 for
Mayotte); metropolitan France otherwise. Local time and public holidays follow
the place. D. 223-9 forbids calls on the public holidays of C. trav. L3133-1
only: the eleven national days, in every place (the `holidays` package's France
without a subdivision). A day that is a holiday of the consumer's place alone —
Alsace-Moselle's Good Friday and 26 December (L3134-13), each overseas
department's abolition of slavery and its own days (the package's French
subdivisions) — is a lawful calling day that licite flags (SPEC 1.5, v2).
The calendars are built on first use, once per year, and kept in licite's cache
(`licite.cache`, keyed by the installed `holidays` package's version): a decision that is
not a phone call never loads them, and a phone call in a new process reads the
year's dates rather than importing `holidays` (0.1 s), unless the cache is off.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from licite import cache


class Place(Enum):
    """A French territory with its own calling time or holidays."""

    METROPOLE = ("metropole", "Europe/Paris", None)
    MOSELLE = ("moselle", "Europe/Paris", "57")
    ALSACE = ("alsace", "Europe/Paris", "6AE")
    GUADELOUPE = ("guadeloupe", "America/Guadeloupe", "971")
    MARTINIQUE = ("martinique", "America/Martinique", "972")
    GUYANE = ("guyane", "America/Cayenne", "973")
    REUNION = ("reunion", "Indian/Reunion", "974")
    MAYOTTE = ("mayotte", "Indian/Mayotte", "976")

    def __init__(self, key: str, zone: str, subdivision: str | None) -> None:
        self.key = key
        self.zone = ZoneInfo(zone)
        self.subdivision = subdivision

    def is_public_holiday(self, day: date) -> bool:
        """A national public holiday (C. trav. L3133-1), the same in every place."""
        return day in _holidays(None, day.year)

    def is_local_holiday(self, day: date) -> bool:
        """A holiday of this place only (Alsace-Moselle, overseas), not a national one."""
        return (
            self.subdivision is not None
            and day in _holidays(self.subdivision, day.year)
            and not self.is_public_holiday(day)
        )


POSTAL_PREFIXES: dict[str, Place] = {
    "971": Place.GUADELOUPE,
    "972": Place.MARTINIQUE,
    "973": Place.GUYANE,
    "974": Place.REUNION,
    "976": Place.MAYOTTE,
    "57": Place.MOSELLE,
    "67": Place.ALSACE,
    "68": Place.ALSACE,
}

PHONE_PREFIXES: tuple[tuple[str, Place], ...] = (
    ("+262269", Place.MAYOTTE),
    ("+262639", Place.MAYOTTE),
    ("+262", Place.REUNION),
    ("+590", Place.GUADELOUPE),
    ("+596", Place.MARTINIQUE),
    ("+594", Place.GUYANE),
)

PLACES_BY_KEY: dict[str, Place] = {place.key: place for place in Place}


def place_of(postal_code: str | None, phone_e164: str | None) -> Place:
    """The consumer's place: postal code first, then phone number, else metropolitan France."""
    if postal_code:
        for prefix in (postal_code[:3], postal_code[:2]):
            if prefix in POSTAL_PREFIXES:
                return POSTAL_PREFIXES[prefix]
        return Place.METROPOLE
    if phone_e164:
        for prefix, place in PHONE_PREFIXES:
            if phone_e164.startswith(prefix):
                return place
    return Place.METROPOLE


NATIONAL = "national"
"""The calendar of C. trav. L3133-1, the same in every place (no subdivision)."""


def _holidays(subdivision: str | None, year: int) -> frozenset[date]:
    return calendars(year)[subdivision or NATIONAL]


@lru_cache(maxsize=256)
def calendars(year: int) -> dict[str, frozenset[date]]:
    """The year's holidays, national and of each place with a subdivision: from the
    cache when an entry for this version of `holidays` checks out, else built."""
    name = _cache_name(year)
    if name is not None:
        cached = _checked(cache.read(name), year)
        if cached is not None:
            return cached
    built = _built(year)
    if name is not None:
        as_text = {key: sorted(d.isoformat() for d in days) for key, days in built.items()}
        cache.write(name, as_text, family=f"holidays-{year}-")
    return built


def _built(year: int) -> dict[str, frozenset[date]]:
    import holidays

    return {
        key: frozenset(holidays.country_holidays("FR", subdiv=subdivision, years=year))
        for key, subdivision in _SUBDIVISIONS.items()
    }


_SUBDIVISIONS: dict[str, str | None] = {
    NATIONAL: None,
    **{place.subdivision: place.subdivision for place in Place if place.subdivision},
}


def _cache_name(year: int) -> str | None:
    """The entry's name: a digest of the installed `holidays` package's version and of its
    France module, and the year (None: the package's files cannot be read). Found without
    importing the package, which is what the cache saves."""
    from importlib.util import find_spec

    spec = find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    package = Path(spec.origin).parent
    try:
        sources = [(package / name).read_text("utf-8") for name in _SOURCES]
    except (OSError, UnicodeDecodeError):
        return None
    return f"holidays-{year}-{cache.digest(*sources)[:32]}"


_SOURCES = ("version.py", "countries/france.py")
"""The package's files that decide France's calendars: its version, and France itself."""


def _checked(raw: Any, year: int) -> dict[str, frozenset[date]] | None:
    """A cached entry as calendars, or None unless it has every place and only dates of
    `year`."""
    if not isinstance(raw, dict) or set(raw) != set(_SUBDIVISIONS):
        return None
    found: dict[str, frozenset[date]] = {}
    for key, days in raw.items():
        if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
            return None
        try:
            parsed = frozenset(date.fromisoformat(d) for d in days)
        except ValueError:
            return None
        if any(d.year != year for d in parsed):
            return None
        found[key] = parsed
    return found
