"""A list's columns and kinds as French and English CRMs name them.

`E-mail;Téléphone;Code postal` is `email,phone,postal_code`: a header is
matched case- and accent-insensitively, hyphens, dots and underscores read as
spaces, against the usual names in both languages; `--map 'Mobile perso=phone'`
names the rest. A kind column may say `particulier`, `professionnel` or
`adresse générique`; `--kind` gives the kind of rows that say none (and of
every row when the list has no kind column), else they are read as consumers,
the most protected kind. Two columns that both read as the
same field, or a `--map` naming a column the list does not have, stop the
scrub before any work, naming them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from licite.errors import InvalidInput
from licite.i18n import Text
from licite.vocabulary import PersonKind

FIELDS: tuple[str, ...] = ("id", "kind", "email", "phone", "postal_code")
ADDRESS_FIELDS: tuple[str, ...] = ("email", "phone", "postal_code")

_ALIASES: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "identifiant", "identifier", "id client", "client id", "customer id",
           "numero client", "ref client", "reference client", "contact id", "id contact"),
    "kind": ("kind", "type", "type de contact", "contact type", "categorie", "category",
             "type de personne", "person kind", "nature"),
    "email": ("email", "e mail", "courriel", "mail", "adresse email", "adresse e mail",
              "adresse mail", "adresse courriel", "email address", "e mail address"),
    "phone": ("phone", "telephone", "tel", "mobile", "portable", "numero de telephone",
              "tel mobile", "telephone mobile", "phone number", "mobile phone", "gsm"),
    "postal_code": ("postal code", "code postal", "cp", "zip", "zip code", "postcode",
                    "code postal cp"),
}  # fmt: skip

_KINDS: Mapping[str, PersonKind] = {
    **dict.fromkeys(
        ("consumer", "particulier", "particuliers", "b2c", "personne physique", "individual"),
        PersonKind.CONSUMER,
    ),
    **dict.fromkeys(
        ("professional", "professionnel", "professionnelle", "pro", "b2b", "entreprise",
         "business"),
        PersonKind.PROFESSIONAL,
    ),
    **dict.fromkeys(
        ("generic business address", "adresse generique", "generique", "generic",
         "generic address", "adresse generique d entreprise"),
        PersonKind.GENERIC_BUSINESS_ADDRESS,
    ),
}  # fmt: skip


def folded(text: str) -> str:
    """Lower case, no accents, `-_.'’` as spaces, spaces collapsed: how names are compared."""
    plain = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-_.'’/]+", " ", plain).split())


_BY_NAME: Mapping[str, str] = {folded(a): field for field, names in _ALIASES.items() for a in names}
KIND_VALUES: Mapping[str, str] = {folded(k): v.value for k, v in _KINDS.items()}
"""Every spelling of a kind licite reads, folded, to its SPEC §2 value."""


@dataclass(frozen=True, slots=True)
class Columns:
    """Which column of the list holds each field (None: the list has none)."""

    fields: Mapping[str, str | None]
    extras: tuple[str, ...]
    """The other columns, carried through to the outputs as they are."""


def parse_maps(values: Iterable[str]) -> dict[str, str]:
    """`--map 'E-mail=email'` (repeatable) → {column as written: field}."""
    found: dict[str, str] = {}
    for value in values:
        column, sep, field = value.rpartition("=")
        field = field.strip().lower()
        if not sep or not column.strip() or field not in FIELDS:
            raise InvalidInput(
                Text(
                    f"--map : {value!r} ; attendu 'Colonne=champ', champ parmi {', '.join(FIELDS)}",
                    f"--map: {value!r}; expected 'Column=field', field one of {', '.join(FIELDS)}",
                )
            )
        found[column.strip()] = field
    return found


def match_columns(names: Sequence[str], maps: Mapping[str, str], source: str) -> Columns:
    """Read a header: each field's column, by `--map` first, else by its usual names."""
    fields: dict[str, str | None] = dict.fromkeys(FIELDS)
    by_folded = {folded(n): n for n in names}
    for column, field in maps.items():
        actual = column if column in names else by_folded.get(folded(column))
        if actual is None:
            raise InvalidInput(
                Text(
                    f"--map : la colonne {column!r} n'est pas dans {source} (colonnes :"
                    f" {', '.join(names)})",
                    f"--map: column {column!r} is not in {source} (columns: {', '.join(names)})",
                )
            )
        fields[field] = actual
    mapped = {c for c in fields.values() if c is not None}
    for name in names:
        usual = _BY_NAME.get(folded(name))
        if name in mapped or usual is None or usual in maps.values():
            continue
        field = usual
        if fields[field] is not None:
            raise InvalidInput(
                Text(
                    f"{source} : les colonnes {fields[field]!r} et {name!r} se lisent toutes deux"
                    f" comme {field} ; dire laquelle avec --map '{name}={field}'",
                    f"{source}: columns {fields[field]!r} and {name!r} both read as {field};"
                    f" say which with --map '{name}={field}'",
                )
            )
        fields[field] = name
    if not any(fields[f] for f in ADDRESS_FIELDS):
        raise InvalidInput(
            Text(
                f"{source} : aucune colonne d'adresse (e-mail, téléphone ou code postal) ;"
                f" colonnes trouvées : {', '.join(names)} ; nommer la vôtre avec --map"
                " 'Colonne=email'",
                f"{source}: no address column (email, phone or postal code); columns found:"
                f" {', '.join(names)}; name yours with --map 'Column=email'",
            )
        )
    used = {c for c in fields.values() if c is not None}
    return Columns(fields, tuple(n for n in names if n not in used))


_CANONICAL = ", ".join(f"'{k.value}'" for k in PersonKind)


def kind_sql(column: str | None, default: str | None) -> str:
    """SQL giving a row's kind in SPEC §2 values: French and English spellings read, a
    blank one (or no column) the `--kind` default; an unknown one kept, to be rejected.
    A value already in SPEC §2 (every row of most lists) is taken as it is: the folding
    (accents, case, separators) runs only for the others."""
    fallback = f"'{default}'" if default else "NULL"
    if column is None:
        return f"{fallback}::VARCHAR"
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in KIND_VALUES.items())
    key = f"trim(regexp_replace(strip_accents(lower(trim({column}))), '[-_.''’/ ]+', ' ', 'g'))"
    return (
        f"CASE WHEN {column} IN ({_CANONICAL}) THEN {column}"
        f" WHEN nullif(trim({column}), '') IS NULL THEN {fallback}"
        f" ELSE coalesce(CASE {key} {cases} END, trim({column})) END"
    )


def written_kind_sql(column: str | None) -> str:
    """The kind as written where `kind_sql` changed it ('' for none), else NULL: what a
    rejected row's line is rebuilt with, at no cost for rows already in SPEC §2 values."""
    if column is None:
        return "''"
    return f"CASE WHEN {column} IN ({_CANONICAL}) THEN NULL ELSE coalesce({column}, '') END"


def default_kind(value: str | None) -> str | None:
    """`--kind`: a kind in either language, or an error naming the value."""
    if value is None:
        return None
    kind = KIND_VALUES.get(folded(value))
    if kind is None:
        raise InvalidInput(
            Text(
                f"--kind : valeur inconnue {value!r} (particulier, professionnel, adresse"
                " générique ; consumer, professional, generic_business_address)",
                f"--kind: unknown value {value!r} (consumer, professional,"
                " generic_business_address; particulier, professionnel, adresse générique)",
            )
        )
    return kind
