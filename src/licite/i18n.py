"""Every user-facing message exists in French and in English.

A `Text` carries both; the language shown is chosen once, by `--lang` or the
`LICITE_LANG` environment variable (default: French, the language of the law).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """A message in both languages."""

    fr: str
    en: str

    def __call__(self, lang: Lang) -> str:
        return self.fr if lang == "fr" else self.en

    def format(self, **values: object) -> Text:
        return Text(self.fr.format(**values), self.en.format(**values))

    def __add__(self, other: Text) -> Text:
        return Text(self.fr + other.fr, self.en + other.en)


def default_lang() -> Lang:
    value = os.environ.get("LICITE_LANG", "fr").strip().lower()[:2]
    return "en" if value == "en" else "fr"
