"""What a person is owed on an access request (GDPR art. 15), read from the ledger.

`ledger.dossier` gives the chain's view: events, proofs, hashes. A person asked
for something else: the purposes, the categories of data, the recipients, where
the data came from (art. 14(2)(f)), how long each sender keeps it and until
when, their rights and how to complain to the CNIL; then, per sender and
channel, whether they may be contacted today and why; each consent with its
wording, date, mechanism and proof; each objection and withdrawal. The chain's
inclusion proof stays, as an annex a third party can check.

A field the ledger never received is `None` here and "unknown" on the page,
never false: "informed: unknown" is not "informed: no". This module builds the
content once; `dossier_html` writes it as HTML (and PDF), `--format json` as is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from licite.case import Request, Sender
from licite.engine import decide_history
from licite.i18n import Lang
from licite.ledger.dossier import dossier
from licite.ledger.history import effective_sender, history_as_of
from licite.ledger.ledger import Ledger
from licite.moments import PARIS, iso, moment_of_micros
from licite.vocabulary import Action, Channel, Purpose

RISKY_METHODS = frozenset({"scraping", "list_purchase", "list_rental", "enrichment"})
"""Collection methods the CNIL has sanctioned most (Nestor, KASPR, EDF, Canal+)."""

_CHANNELS_BY_ADDRESS = (
    ("email", (Channel.EMAIL,)),
    ("phone", (Channel.SMS, Channel.PHONE_CALL)),
    ("postal_code", (Channel.POST,)),
)
_ERASED_FIELDS = ("email", "phone", "postal_code", "proof_evidence")


def access_dossier(
    ledger: Ledger, person_id: str, *, at: datetime | None = None, lang: Lang = "fr"
) -> dict[str, Any]:
    """The art. 15 content for `person_id` at `at` (default: now), as plain data."""
    moment = at or datetime.now(PARIS)
    chain = dossier(ledger, person_id)
    person = ledger.person(person_id)
    events: list[dict[str, Any]] = chain["events"]
    history = history_as_of(ledger, person, moment)
    senders = sorted({e["sender"] for e in events if e.get("sender") not in (None, "all")})
    collections = [e for e in events if e["type"] == "collected"]
    erased_at = None if person.erased_at_us is None else iso(moment_of_micros(person.erased_at_us))
    standings = []
    retention = []
    for sender_id in senders:
        sender = effective_sender(ledger, Sender(id=sender_id), moment)
        for address, channels in _CHANNELS_BY_ADDRESS:
            for channel in channels:
                request = Request(
                    action=Action.CONTACT, channel=channel, purpose=Purpose.COMMERCIAL
                )
                decision = decide_history(
                    history,
                    request=request,
                    sender=sender,
                    at=moment,
                    person=person.as_case_person(),
                )
                standings.append(
                    {
                        "sender": sender_id,
                        "channel": channel.value,
                        "address_known": getattr(person, address) is not None,
                        "decision": decision.to_dict(lang),
                    }
                )
        keep = decide_history(
            history,
            request=Request(action=Action.RETAIN),
            sender=sender,
            at=moment,
            person=person.as_case_person(),
        )
        retention.append(
            {
                "sender": sender_id,
                "kept": keep.allowed,
                "basis": keep.basis,
                "until": iso(keep.expires_at),
                "reasons": [r.code for r in keep.reasons],
            }
        )
    return {
        "document": "access-request-dossier",
        "person": person_id,
        "at": iso(moment),
        "data": {
            "kind": person.kind,
            "email": person.email,
            "phone": person.phone,
            "postal_code": person.postal_code,
        },
        "erasure": None
        if erased_at is None
        else {
            "at": erased_at,
            "erased": list(_ERASED_FIELDS),
            "kept": ["email_hash", "phone_hash", "events"],
        },
        "purposes": sorted(
            {
                e["purpose"]
                for e in events
                if e["type"] in ("consent", "collected") and e.get("purpose")
            }
        ),
        "categories": _categories(person.kind, events, chain["person"]),
        "recipients": senders,
        "sources": [
            {
                "at": e["at"],
                "method": e.get("method"),
                "source": e.get("source"),
                "purpose": e.get("purpose"),
                "informed": e.get("informed"),
                "risky": e.get("method") in RISKY_METHODS,
            }
            for e in collections
        ],
        "retention": retention,
        "standings": standings,
        "consents": [_with_proof(e) for e in events if e["type"] == "consent"],
        "objections": [_plain(e) for e in events if e["type"] == "objection"],
        "withdrawals": [_plain(e) for e in events if e["type"] == "withdrawal"],
        "annex": {"events": [_chained(e) for e in events], "chain": chain["chain"]},
    }


def _categories(kind: str, events: list[dict[str, Any]], stored: dict[str, Any]) -> list[str]:
    found = ["kind"]
    found += [
        f for f in ("email", "phone", "postal_code") if stored.get(f) or stored.get(f"{f}_hash")
    ]
    types = {e["type"] for e in events}
    for category, wanted in (
        ("consents", {"consent", "withdrawal", "objection"}),
        ("interactions", {"interaction"}),
        ("calls", {"call"}),
        ("customer", {"customer", "customer_end", "contract", "contract_end"}),
        ("provenance", {"collected"}),
        ("political_opinion", {"opinion_inferred"}),
    ):
        if types & wanted:
            found.append(category)
    return found


def _plain(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in ("seq", "chain", "proof", "recorded_at")}


def _with_proof(event: dict[str, Any]) -> dict[str, Any]:
    out = _plain(event)
    proof = event.get("proof")
    out["proof"] = (
        None if proof is None else {k: v for k, v in proof.items() if k != "wording_sha256"}
    )
    out["recorded_at"] = event.get("recorded_at")
    return out


def _chained(event: dict[str, Any]) -> dict[str, Any]:
    return {"seq": event["seq"], "at": event["at"], "type": event["type"], **event["chain"]}
