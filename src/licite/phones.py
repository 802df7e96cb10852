"""Phone numbers: normalisation to E.164, French formats first.

The common French forms ("06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78",
"0033612345678") and the overseas departments' national numbers (0690…,
0692…, 0639…) are settled by a fast path; `phonenumbers` (about 25 µs a
number, and 15 ms to import) only sees what that path cannot settle, and is imported
the first time it does: a decision on French numbers never loads it.
"""

from __future__ import annotations

SEPARATORS = " .-()/\u00a0\t"
_SEPARATORS = str.maketrans("", "", SEPARATORS)

# ARCEP numbering plan: overseas departments keep the 10-digit national format
# but dial from abroad with their own country code.
OVERSEAS_NATIONAL_PREFIXES: dict[str, str] = {
    "0590": "+590",  # Guadeloupe, fixed
    "0690": "+590",  # Guadeloupe, mobile
    "0691": "+590",
    "0596": "+596",  # Martinique
    "0696": "+596",
    "0697": "+596",
    "0594": "+594",  # Guyane
    "0694": "+594",
    "0262": "+262",  # La Réunion
    "0263": "+262",
    "0692": "+262",
    "0693": "+262",
    "0269": "+262",  # Mayotte (+262 269 / +262 639)
    "0639": "+262",
}


def normalize_phone(raw: str) -> str | None:
    """E.164 form of a French or international number, or None when it is not one."""
    text = raw if raw.isdigit() else raw.translate(_SEPARATORS)  # most lists write digits only
    fast = _fast_path(text)
    if fast is not None:
        return fast
    return _slow_path(raw)


def _fast_path(text: str) -> str | None:
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+33"):
        rest = text[3:]
        if rest.startswith("0"):
            rest = rest[1:]  # "+33 (0)6 …"
        if len(rest) == 9 and rest.isascii() and rest.isdigit() and rest[0] != "0":
            return "+33" + rest
        return None
    if len(text) == 10 and text.isascii() and text.isdigit() and text[0] == "0" and text[1] != "0":
        country = OVERSEAS_NATIONAL_PREFIXES.get(text[:4], "+33")
        return country + text[1:]
    if (
        text.startswith("+")
        and text[1:].isascii()
        and text[1:].isdigit()
        and text[1:4] in ("590", "596", "594", "262")
    ):
        return text if len(text) == 13 else None
    return None


def _slow_path(raw: str) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
