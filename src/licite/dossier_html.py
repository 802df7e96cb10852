"""The access-request dossier as a page a person can read (HTML, and PDF from it).

Headings follow GDPR art. 15 in its order, then the standing per sender and
channel, the consents with their proof, and the chain's annex. Dates are on the
Paris clock, named once; a value never given reads "inconnu" / "unknown".
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from licite.html_page import page, table
from licite.i18n import Lang, Text
from licite.moments import parse_moment
from licite.wording import local_day, local_moment, word

T = {
    "title": Text("Dossier d'accès — RGPD art. 15", "Access-request dossier — GDPR art. 15"),
    "person": Text("Personne", "Person"),
    "made": Text("Établi le", "Made on"),
    "zone": Text(
        "Toutes les heures sont à l'heure de Paris (Europe/Paris).",
        "All times are Paris time (Europe/Paris).",
    ),
    "erased": Text(
        "Données effacées le {when} : {what}. Restent les empreintes (hachages) de l'adresse"
        " e-mail et du téléphone, pour que votre opposition continue d'être respectée, et"
        " l'historique des événements sans vos coordonnées.",
        "Data erased on {when}: {what}. What remains: the fingerprints (hashes) of the email"
        " address and phone number, so that your objection keeps being honoured, and the"
        " history of events without your contact details.",
    ),
    "data": Text("Vos données", "Your data"),
    "field": Text("Donnée", "Data"),
    "value": Text("Valeur", "Value"),
    "unknown": Text("inconnu", "unknown"),
    "none": Text("aucun", "none"),
    "erased_value": Text("effacé", "erased"),
    "purposes": Text("Finalités du traitement", "Purposes of the processing"),
    "categories": Text("Catégories de données", "Categories of data"),
    "recipients": Text("Destinataires", "Recipients"),
    "recipients_note": Text(
        "Émetteurs nommés dans le registre ; aucun autre destinataire n'y est enregistré.",
        "Senders named in the ledger; no other recipient is recorded there.",
    ),
    "sources": Text(
        "Origine des données (RGPD art. 14(2)(f))", "Where the data came from (GDPR art. 14(2)(f))"
    ),
    "date": Text("Date", "Date"),
    "method": Text("Méthode", "Method"),
    "source": Text("Source", "Source"),
    "informed": Text("Personne informée", "Person informed"),
    "risky": Text("méthode à risque (CNIL)", "risky method (CNIL)"),
    "retention": Text("Durée de conservation", "How long the data is kept"),
    "sender": Text("Émetteur", "Sender"),
    "until": Text("Jusqu'au", "Until"),
    "while_customer": Text(
        "tant que vous êtes client, puis trois ans", "while you are a customer, then three years"
    ),
    "must_delete": Text("durée échue : à supprimer", "period over: to be deleted"),
    "rights": Text("Vos droits", "Your rights"),
    "rights_list": Text(
        "Accès (art. 15), rectification (art. 16), effacement (art. 17), limitation (art. 18),"
        " portabilité (art. 20), opposition à la prospection à tout moment et sans motif"
        " (art. 21), retrait du consentement à tout moment (art. 7(3)).",
        "Access (art. 15), rectification (art. 16), erasure (art. 17), restriction (art. 18),"
        " portability (art. 20), objection to direct marketing at any time and without reason"
        " (art. 21), withdrawal of consent at any time (art. 7(3)).",
    ),
    "complain": Text(
        "Vous pouvez adresser une réclamation à la CNIL : www.cnil.fr/plaintes, ou par"
        " courrier à CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07 (RGPD art. 77).",
        "You may lodge a complaint with the CNIL: www.cnil.fr/plaintes, or by post to CNIL,"
        " 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, France (GDPR art. 77).",
    ),
    "standing": Text("Pouvez-vous être contacté aujourd'hui ?", "May you be contacted today?"),
    "channel": Text("Canal", "Channel"),
    "answer": Text("Réponse", "Answer"),
    "why": Text("Pourquoi", "Why"),
    "yes": Text("oui", "yes"),
    "no": Text("non", "no"),
    "no_sender": Text(
        "Aucun émetteur n'est nommé dans le registre pour cette personne.",
        "No sender is named in the ledger for this person.",
    ),
    "consents": Text("Consentements", "Consents"),
    "wording": Text("Texte présenté", "Wording shown"),
    "mechanism": Text("Mécanisme", "Mechanism"),
    "proof": Text("Preuve", "Proof"),
    "purpose": Text("Finalité", "Purpose"),
    "objections": Text("Oppositions", "Objections"),
    "withdrawals": Text("Retraits du consentement", "Withdrawals of consent"),
    "via": Text("Moyen", "By"),
    "annex": Text(
        "Annexe — preuve d'inclusion dans la chaîne", "Annex — proof of inclusion in the chain"
    ),
    "annex_note": Text(
        "Un tiers qui détient la clé publique peut vérifier que ces événements figurent dans"
        " la chaîne signée, sans voir ceux de quiconque.",
        "A third party holding the public key can check that these events are in the signed"
        " chain, without seeing anyone else's.",
    ),
    "algorithm": Text("Algorithme", "Algorithm"),
    "start": Text("Empreinte de départ", "Start hash"),
    "signed": Text("Message signé", "Signed message"),
    "signature": Text("Signature", "Signature"),
    "key": Text("Clé publique", "Public key"),
    "digests": Text("Empreintes des enregistrements", "Record digests"),
    "encoding": Text("Encodage", "Encoding"),
    "hash": Text("Empreinte", "Hash"),
}
_FIELDS = {
    "kind": Text("Catégorie de personne", "Kind of person"),
    "email": Text("Adresse e-mail", "Email address"),
    "phone": Text("Téléphone", "Phone"),
    "postal_code": Text("Code postal", "Postal code"),
    "proof_evidence": Text("Éléments de preuve (IP, navigateur)", "Evidence (IP, browser)"),
}
_CATEGORIES = {
    "kind": Text("catégorie (particulier, professionnel)", "kind (consumer, professional)"),
    "email": Text("adresse e-mail", "email address"),
    "phone": Text("numéro de téléphone", "phone number"),
    "postal_code": Text("code postal", "postal code"),
    "consents": Text("consentements, oppositions, retraits", "consents, objections, withdrawals"),
    "interactions": Text(
        "interactions (clics, réponses, achats)", "interactions (clicks, replies, purchases)"
    ),
    "calls": Text("appels téléphoniques", "phone calls"),
    "customer": Text("relation client et contrats", "customer relationship and contracts"),
    "provenance": Text("origine de la collecte", "how the data was collected"),
    "political_opinion": Text(
        "opinion politique déduite (RGPD art. 9)", "inferred political opinion (GDPR art. 9)"
    ),
}


def dossier_html(content: dict[str, Any], lang: Lang) -> str:
    t = {k: v(lang) for k, v in T.items()}
    made = _when(content["at"], lang)
    parts = [
        f"<h1>{escape(t['title'])}</h1>",
        f"<p>{escape(t['person'])} : <code>{escape(content['person'])}</code> — "
        f"{escape(t['made'])} {escape(made)}. {escape(t['zone'])}</p>"
        if lang == "fr"
        else f"<p>{escape(t['person'])}: <code>{escape(content['person'])}</code> — "
        f"{escape(t['made'])} {escape(made)}. {escape(t['zone'])}</p>",
    ]
    erasure = content.get("erasure")
    if erasure:
        what = ", ".join(_FIELDS[f](lang) for f in erasure["erased"])
        said = t["erased"].format(when=_when(erasure["at"], lang), what=what)
        parts.append(f'<p class="warn">{escape(said)}</p>')
    parts.append(f"<h2>{escape(t['data'])}</h2>")
    rows = []
    for key in ("kind", "email", "phone", "postal_code"):
        value = content["data"].get(key)
        shown = (
            _unknown(t["erased_value"] if erasure else t["unknown"])
            if value is None
            else escape(word(value, lang) if key == "kind" else str(value))
        )
        rows.append([escape(_FIELDS[key](lang)), shown])
    parts.append(table([t["field"], t["value"]], rows))
    parts.append(f"<h2>{escape(t['purposes'])}</h2>")
    parts.append(_list([word(p, lang) for p in content["purposes"]], t["unknown"]))
    parts.append(f"<h2>{escape(t['categories'])}</h2>")
    parts.append(_list([_CATEGORIES[c](lang) for c in content["categories"]], t["unknown"]))
    parts.append(f"<h2>{escape(t['recipients'])}</h2>")
    parts.append(_list(content["recipients"], t["none"]) + f"<p>{escape(t['recipients_note'])}</p>")
    parts.append(f"<h2>{escape(t['sources'])}</h2>")
    source_rows = [
        [
            escape(_day(s["at"], lang)),
            escape(word(s["method"], lang)) if s["method"] else _unknown(t["unknown"]),
            escape(s["source"]) if s["source"] else _unknown(t["unknown"]),
            _yes_no(s["informed"], t),
            f'<span class="warn">⚠ {escape(t["risky"])}</span>' if s["risky"] else "",
        ]
        for s in content["sources"]
    ]
    parts.append(
        table([t["date"], t["method"], t["source"], t["informed"], ""], source_rows)
        if source_rows
        else f"<p>{_unknown(t['unknown'])}</p>"
    )
    parts.append(f"<h2>{escape(t['retention'])}</h2>")
    retention_rows = []
    for r in content["retention"]:
        if not r["kept"]:
            until = f'<span class="no">{escape(t["must_delete"])}</span>'
        elif r["until"] is None:
            until = escape(t["while_customer"])
        else:
            until = escape(_day(r["until"], lang))
        retention_rows.append([escape(r["sender"]), until])
    parts.append(
        table([t["sender"], t["until"]], retention_rows)
        if retention_rows
        else f"<p>{escape(t['no_sender'])}</p>"
    )
    parts.append(f"<h2>{escape(t['rights'])}</h2>")
    parts.append(f"<p>{escape(t['rights_list'])}</p><p>{escape(t['complain'])}</p>")
    parts.append(f"<h2>{escape(t['standing'])}</h2>")
    if not content["standings"]:
        parts.append(f"<p>{escape(t['no_sender'])}</p>")
    for sender in content["recipients"]:
        parts.append(f"<h3>{escape(sender)}</h3>")
        rows = []
        for s in (s for s in content["standings"] if s["sender"] == sender):
            decision = s["decision"]
            answer = (
                f'<span class="ok">{escape(t["yes"])}</span>'
                if decision["allowed"]
                else f'<span class="no">{escape(t["no"])}</span>'
            )
            rows.append([escape(word(s["channel"], lang)), answer, _why(decision, lang)])
        parts.append(table([t["channel"], t["answer"], t["why"]], rows))
    parts.append(f"<h2>{escape(t['consents'])}</h2>")
    consent_rows = [
        [
            escape(_day(c["at"], lang)),
            escape(c.get("sender") or t["unknown"]),
            escape(word(c.get("channel") or "all", lang)),
            escape(word(c["purpose"], lang)) if c.get("purpose") else _unknown(t["unknown"]),
            escape(word(c["mechanism"], lang)) if c.get("mechanism") else _unknown(t["unknown"]),
            _wording(c, t),
            _proof(c.get("proof"), t, lang),
        ]
        for c in content["consents"]
    ]
    parts.append(
        table(
            [
                t["date"],
                t["sender"],
                t["channel"],
                t["purpose"],
                t["mechanism"],
                t["wording"],
                t["proof"],
            ],
            consent_rows,
        )
        if consent_rows
        else f"<p>{escape(t['none'])}</p>"
    )
    for key in ("objections", "withdrawals"):
        parts.append(f"<h2>{escape(t[key])}</h2>")
        rows = [
            [
                escape(_day(o["at"], lang)),
                escape(o.get("sender") or t["unknown"]),
                escape(word(o.get("channel") or "all", lang)),
                escape(word(o["via"], lang)) if o.get("via") else _unknown(t["unknown"]),
            ]
            for o in content[key]
        ]
        parts.append(
            table([t["date"], t["sender"], t["channel"], t["via"]], rows)
            if rows
            else f"<p>{escape(t['none'])}</p>"
        )
    parts.append(_annex(content["annex"], t, lang))
    return page(f"{t['title']} — {content['person']}", "\n".join(parts), lang)


def _annex(annex: dict[str, Any], t: dict[str, str], lang: Lang) -> str:
    c = " :" if lang == "fr" else ":"
    chain = annex["chain"]
    signed = chain["signed"]
    rows = [
        [
            str(e["seq"]),
            escape(_day(e["at"], lang)),
            escape(word(e["type"], lang)),
            f'<span class="hash">{escape(e["encoding"])}</span>',
            f'<span class="hash">{escape(e["hash"])}</span>',
        ]
        for e in annex["events"]
    ]
    digests = " ".join(f"{seq}:{digest}" for seq, digest in chain["digests"])
    return (
        f"<h2>{escape(t['annex'])}</h2><p>{escape(t['annex_note'])}</p>"
        f'<p>{escape(t["algorithm"])}{c} <span class="hash">{escape(chain["algorithm"])}</span></p>'
        f'<p>{escape(t["start"])}{c} <span class="hash">{escape(chain["start_hash"])}</span></p>'
        + table(["#", t["date"], "type", t["encoding"], t["hash"]], rows)
        + f'<p>{escape(t["digests"])}{c} <span class="hash">{escape(digests)}</span></p>'
        f"<p>{escape(t['signed'])} ({escape(signed['kind'])}){c} "
        f'<span class="hash">{escape(signed["message"])}</span></p>'
        f"<p>{escape(t['signature'])}{c} "
        f'<span class="hash">{escape(signed["signature"])}</span></p>'
        f'<p>{escape(t["key"])}{c} <span class="hash">{escape(signed["public_key"])}</span></p>'
    )


def _why(decision: dict[str, Any], lang: Lang) -> str:
    items = []
    if decision["basis"] is not None:
        items.append(escape(decision["basis"]))
    for reason in decision["reasons"]:
        items.append(
            f"<b>{escape(reason['code'])}</b> — {escape(reason['messages'][lang])}"
            f" <small>({escape(reason['citation'])})</small>"
        )
    if decision.get("expires_at"):
        until = T["until"](lang)
        items.append(f"{escape(until)} {escape(_day(decision['expires_at'], lang))}")
    return "<br>".join(items)


def _wording(consent: dict[str, Any], t: dict[str, str]) -> str:
    proof = consent.get("proof") or {}
    text = proof.get("wording_text") or consent.get("wording")
    return f"« {escape(text)} »" if text else _unknown(t["unknown"])


def _proof(proof: dict[str, Any] | None, t: dict[str, str], lang: Lang) -> str:
    if not proof:
        return _unknown(t["unknown"])
    bits = []
    if proof.get("form"):
        bits.append(
            f"{escape(T['source'](lang))}{' :' if lang == 'fr' else ':'} {escape(proof['form'])}"
        )
    if proof.get("recorded_by"):
        bits.append(escape(proof["recorded_by"]))
    evidence = proof.get("evidence")
    if evidence == "erased":
        bits.append(_unknown(t["erased_value"]))
    elif isinstance(evidence, dict):
        bits.extend(f"{escape(k)}: {escape(str(v))}" for k, v in evidence.items())
    return "<br>".join(bits) or _unknown(t["unknown"])


def _yes_no(value: object, t: dict[str, str]) -> str:
    if value is None:
        return _unknown(t["unknown"])
    return escape(t["yes"] if value else t["no"])


def _unknown(text: str) -> str:
    return f'<span class="unknown">{escape(text)}</span>'


def _list(items: list[str], empty: str) -> str:
    if not items:
        return f"<p>{_unknown(empty)}</p>"
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


def _day(text: str, lang: Lang) -> str:
    return local_day(parse_moment(text), lang)


def _when(text: str, lang: Lang) -> str:
    moment: datetime = parse_moment(text)
    return local_moment(moment, lang)
