"""What the rules look at: the request as asked (`Ask`) and what the ledger knows (`Facts`).

The rules never read a case or a ledger directly. A case file, the ledger and
the batch scrub each produce an `Ask` and `Facts`; the same rules turn them
into a verdict. `Facts` holds only values settled for the moment of the
request (booleans, a few words) plus the moments at which a right lapses,
which are read only to compute `expires_at`. That is what lets the scrub
evaluate the rules once per distinct situation rather than once per row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from licite.places import Place
from licite.vocabulary import (
    Action,
    AnalysisPurpose,
    Channel,
    CollectPurpose,
    Method,
    PersonKind,
    Purpose,
    Sector,
    SenderKind,
)


# Not frozen: a frozen dataclass sets each field through object.__setattr__,
# which made building these two a tenth of a decision's time. Treat them as values.
@dataclass(slots=True)
class Ask:
    """The request, its moment, the sender and who the person is — not their history."""

    at: datetime
    action: Action
    channel: Channel | None = None
    purpose: Purpose | None = None
    sector: Sector | None = None
    relates_to_profession: bool = False
    identifies_sender: bool | None = None
    opt_out: bool | None = None
    subject_related: bool | None = None
    analysis_purpose: AnalysisPurpose | None = None
    processing_since: datetime | None = None
    sender_kind: SenderKind = SenderKind.COMPANY
    election_ends: datetime | None = None
    bloctel_checked_at: datetime | None = None
    person_kind: PersonKind = PersonKind.CONSUMER
    place: Place = Place.METROPOLE
    has_address: bool = True
    """The person's address for the channel is known (SPEC §3, NO-ADDRESS)."""
    caller_id: str | None = None
    """The number a call shows, in E.164 form."""


@dataclass(slots=True)
class Facts:
    """What the ledger knows about the person, read for this request at its moment."""

    known: bool = False
    """Any event at or before the moment: without one, retention and provenance are silent."""

    # The latest `collected` event: where the data as now held came from.
    collected: bool = False
    method: Method | None = None
    collected_purpose: CollectPurpose | None = None
    terms_forbid_reuse: bool = False
    informed: bool = False
    inform_window_open: bool = False
    opt_out_offered: bool = False
    partner_consent: bool = False
    consent_proof: bool = False

    # Consents within the request's scope (channel, purpose, sender; or processing).
    consent: bool = False
    consent_withdrawn: bool = False
    consent_expired: bool = False
    consent_via_terms: bool = False
    consent_preticked: bool = False
    consent_misleading: bool = False
    consent_implicit: bool = False
    consent_elsewhere: bool = False
    consent_outside_hours: bool = False
    objected: bool = False

    # Relationship with the sender.
    customer: bool = False
    current_customer: bool = False
    offer_analogous: bool = False
    contract_related: bool = False
    contract_current: bool = False

    # Telephone.
    bloctel_registered: bool = False
    calls_capped: bool = False
    refused_recently: bool = False

    # Political communication.
    opinion_inferred: bool = False
    regular_contact: bool = False
    political_consent: bool = False

    # Retention.
    within_retention: bool = False
    suppression: bool = False

    # Moments at which a right lapses; read only for `expires_at`.
    consent_expires: datetime | None = None
    retention_ends: datetime | None = None
    suppression_ends: datetime | None = None
    inform_deadline: datetime | None = None


MOMENT_FIELDS = ("consent_expires", "retention_ends", "suppression_ends", "inform_deadline")
SITUATION_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Facts) if f.name not in MOMENT_FIELDS
)
"""The fields the rules branch on: equal values here mean an equal verdict."""
