"""How values read in each language: local dates, numbers, vocabulary words, citations.

A DPO reads "25/10/2025" and "1 234 567", an English reader "25 Oct 2025" and
"1,234,567"; both read the closed vocabularies of SPEC §2 as words, not as
`double_opt_in`. Citations are written in French in the catalogue (the law's
own language); `citation()` gives their English form (GDPR, not RGPD) so that
`--lang en` is English throughout.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from licite.i18n import Lang, Text
from licite.moments import PARIS

_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def local_day(moment: datetime | date, lang: Lang) -> str:
    """The Paris calendar day of a moment: 25/10/2025 in French, 25 Oct 2025 in English."""
    day = moment.astimezone(PARIS).date() if isinstance(moment, datetime) else moment
    if lang == "fr":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def local_moment(moment: datetime, lang: Lang) -> str:
    """Day and time on the Paris clock, with the zone named (one time zone throughout)."""
    local = moment.astimezone(PARIS)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    zone = local.tzname() or "Europe/Paris"
    if lang == "fr":
        return f"{local_day(local, lang)} à {clock} ({zone})"
    return f"{local_day(local, lang)} at {clock} ({zone})"


def number(value: int | float, lang: Lang, decimals: int = 0) -> str:
    """1 234 567,5 in French (narrow no-break space), 1,234,567.5 in English."""
    text = f"{value:,.{decimals}f}"
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def percent(part: int, whole: int, lang: Lang) -> str:
    share = 100 * part / whole if whole else 0.0
    return f"{number(share, lang, 1)}\u00a0%" if lang == "fr" else f"{number(share, lang, 1)}%"


_WORDS: dict[str, Text] = {
    # Events (SPEC §2).
    "collected": Text("collecte", "collection"),
    "consent": Text("consentement", "consent"),
    "withdrawal": Text("retrait du consentement", "withdrawal of consent"),
    "objection": Text("opposition", "objection"),
    "customer": Text("devenu client", "became a customer"),
    "customer_end": Text("fin de la relation client", "end of the customer relationship"),
    "contract": Text("contrat", "contract"),
    "contract_end": Text("fin du contrat", "end of the contract"),
    "interaction": Text("interaction", "interaction"),
    "call": Text("appel", "call"),
    "bloctel": Text("inscription sur Bloctel", "registration on Bloctel"),
    "bloctel_removed": Text("retrait de Bloctel", "removal from Bloctel"),
    "opinion_inferred": Text("opinion politique déduite", "political opinion inferred"),
    "lapse": Text("échéance", "lapse"),
    # Mechanisms.
    "checkbox": Text("case à cocher", "checkbox"),
    "double_opt_in": Text("double confirmation", "double opt-in"),
    "clear_act": Text("acte positif clair", "clear affirmative act"),
    "oral_recorded": Text("accord oral enregistré", "recorded oral agreement"),
    "terms_acceptance": Text("acceptation des CGU", "acceptance of the terms"),
    "preticked": Text("case précochée", "pre-ticked box"),
    "misleading_design": Text("interface trompeuse", "misleading design"),
    "implicit": Text("consentement implicite", "implicit consent"),
    # Channels.
    "email": Text("e-mail", "email"),
    "sms": Text("SMS", "SMS"),
    "mms": Text("MMS", "MMS"),
    "fax": Text("télécopie", "fax"),
    "automated_call": Text("appel automatisé", "automated call"),
    "phone_call": Text("appel téléphonique", "phone call"),
    "post": Text("courrier postal", "post"),
    "inbox_ad": Text("publicité en boîte de réception", "inbox ad"),
    "all": Text("tous canaux", "all channels"),
    # Purposes.
    "commercial": Text("prospection commerciale", "commercial marketing"),
    "charitable": Text("appel aux dons", "charitable appeal"),
    "political": Text("communication politique", "political communication"),
    "transactional": Text("message transactionnel", "transactional message"),
    "advertising": Text("publicité ciblée", "targeted advertising"),
    "statistics": Text("statistiques", "statistics"),
    "service_improvement": Text("amélioration du service", "service improvement"),
    "service": Text("fourniture du service", "providing the service"),
    # Collection methods.
    "form": Text("formulaire", "form"),
    "sale": Text("vente", "sale"),
    "in_store": Text("en magasin", "in store"),
    "event": Text("événement", "event"),
    "import": Text("import", "import"),
    "list_purchase": Text("achat de fichier", "bought list"),
    "list_rental": Text("location de fichier", "rented list"),
    "scraping": Text("aspiration de sites (scraping)", "scraping"),
    "social_network": Text("réseau social", "social network"),
    "enrichment": Text("enrichissement", "enrichment"),
    "regular_contact": Text("contact régulier", "regular contact"),
    "electoral_list": Text("liste électorale", "electoral list"),
    "public_sector_file": Text("fichier du secteur public", "public-sector file"),
    "hr_file": Text("fichier RH", "HR file"),
    # Interactions and calls.
    "click": Text("clic", "click"),
    "documentation_request": Text("demande de documentation", "documentation request"),
    "reply": Text("réponse", "reply"),
    "purchase": Text("achat", "purchase"),
    "open": Text("ouverture d'un e-mail", "email opened"),
    "call_answered": Text("appel décroché", "call answered"),
    "refused": Text("refus", "refused"),
    "accepted": Text("accepté", "accepted"),
    "no_answer": Text("sans réponse", "no answer"),
    # Ways out.
    "unsubscribe_link": Text("lien de désinscription", "unsubscribe link"),
    "stop_sms": Text("STOP SMS", "STOP SMS"),
    "letter": Text("lettre", "letter"),
    "email_reply": Text("réponse à un e-mail", "email reply"),
    # Person kinds.
    "consumer": Text("particulier", "consumer"),
    "professional": Text("professionnel", "professional"),
    "generic_business_address": Text("adresse générique", "generic business address"),
}


def word(value: object, lang: Lang) -> str:
    """A vocabulary value as a word of the language; an unknown value as written."""
    key = str(value)
    text = _WORDS.get(key)
    return text(lang) if text is not None else key.replace("_", " ")


# Citations: French legal shorthand to its English form, longest phrases first.
_CITATION_PHRASES: tuple[tuple[str, str], ...] = (
    ("CNIL, norme simplifiée n° 48", "CNIL simplified standard No. 48"),
    ("CNIL délib. n°", "CNIL decision No."),
    ("doctrine CNIL sur la prospection B2B", "CNIL guidance on B2B marketing"),
    ("coordonnées d'une personne morale", "contact details of a legal person"),
    ("relations contractuelles préexistantes", "pre-existing contractual relationship"),
    ("définition de la prospection directe", "definition of direct marketing"),
    ("prospection commerciale seulement", "commercial marketing only"),
    ("consentement libre et éclairé", "free and informed consent"),
    ("consentement spécifique", "specific consent"),
    ("manifestation de volonté", "expression of will"),
    ("acte positif clair", "clear affirmative act"),
    ("régime d'opposition", "opt-out regime"),
    ("collecte loyale", "fair collection"),
    ("finalité déterminée", "specified purpose"),
    ("contrat en cours", "current contract"),
    ("plan de numérotation : numéros du démarchage", "numbering plan: canvassing numbers"),
    ("jour férié local", "local public holiday"),
    ("doctrine CNIL sur la prospection B2B", "CNIL doctrine on B2B marketing"),
    ("coordonnée du canal", "the channel's address"),
    ("maintenu après la", "maintained after"),
    ("en vigueur le lendemain de sa publication", "in force the day after its publication"),
    ("décision n°", "decision No."),
    ("C. trav.", "Labour Code"),
    ("considérant", "recital"),
    ("C. consom.", "Consumer Code"),
    ("C. pén.", "Criminal Code"),
    ("Loi n°", "Act No."),
    ("loi n°", "Act No."),
    ("Décret n°", "Decree No."),
    ("décret n°", "Decree No."),
    ("RGPD", "GDPR"),
    ("CJUE", "CJEU"),
    ("CE,", "Conseil d'État,"),
    (" al. ", " para. "),
    (" ; ", "; "),
)
_FR_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
_FR_DATE = re.compile(r"\b(1er|\d{1,2}) (" + "|".join(_FR_MONTHS) + r") (\d{4})\b")
_FULL_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@lru_cache(maxsize=512)
def citation(text: str, lang: Lang) -> str:
    """A catalogue citation in the language asked (the catalogue writes them in French)."""
    if lang == "fr":
        return text
    out = text
    for french, english in _CITATION_PHRASES:
        out = out.replace(french, english)
    out = _FR_DATE.sub(
        lambda m: f"{m[1].replace('er', '')} {_FULL_MONTHS_EN[_FR_MONTHS.index(m[2])]} {m[3]}",
        out,
    )
    out = re.sub(r"\bdu (\d{1,2} [A-Z][a-z]+ \d{4})", r"of \1", out)
    return re.sub(r"\bet\b", "and", out)
