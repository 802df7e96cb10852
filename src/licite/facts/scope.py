"""What a request asks of a history: the values the fact declarations are written
against, once for both readers.

`licite.facts.reader` reads them as attributes (`q.ch`, `q.calls_from`…); the scrub
binds the same values, as SQL literals, to the `$` parameters of its statements
(`Scope.sql_params`). A parameter of `licite.facts.declared` is one of these names.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from licite.case import Request, Sender
from licite.facts.declared import PERIODS
from licite.moments import micros, moment_of_micros
from licite.parameters import count, period, start
from licite.vocabulary import Action, Channel, ChannelOrAll, ConsentPurpose, Purpose

SqlParam = str | int | bool | tuple[str, ...] | None

_CHANNEL_OR_ALL = {c.value: ChannelOrAll(c.value) for c in Channel}
_CONSENT_PURPOSE = {p.value: p for p in ConsentPurpose}


def scope_purpose(request: Request) -> ConsentPurpose | None:
    """The purpose a consent must name to cover the request (a transactional message: none
    needed, read as commercial; an analysis: its purpose when consent can cover it)."""
    if request.action is Action.ANALYZE:
        return _CONSENT_PURPOSE.get(request.analysis_purpose or "")
    if request.purpose and request.purpose is not Purpose.TRANSACTIONAL:
        return _CONSENT_PURPOSE[request.purpose]
    return ConsentPurpose.COMMERCIAL


def related_labels(request: Request, offer: str | None = None) -> tuple[str, ...]:
    """The labels a contract's object or a product bought must equal for the offer to relate
    to it or be analogous: the offer and the categories the request declares (v2)."""
    offer = offer if offer is not None else request.offer
    return (offer, *request.analogous) if offer is not None else tuple(request.analogous)


def effective_sender(sender: Sender, latest_import_us: int | None) -> Sender:
    """The campaign's sender; when it does not say when it last cleaned its list against
    Bloctel, the latest import of the list at or before the moment (`latest_import_us`,
    which the ledger and the scrub each read from their store) says it (C. consom.
    R. 223-6)."""
    if sender.bloctel_checked_at is not None or latest_import_us is None:
        return sender
    return sender.model_copy(update={"bloctel_checked_at": moment_of_micros(latest_import_us)})


class Scope:
    """The request `request` by sender `s` at the moment `at`."""

    def __init__(
        self, request: Request, sender: str, at: datetime, offer: str | None = None
    ) -> None:
        self.request = request
        self.s = sender
        self.at = at
        self.analysis = request.action is Action.ANALYZE
        self.ch = _CHANNEL_OR_ALL.get(request.channel) if request.channel else None
        self.pu = scope_purpose(request)
        self.proc = request.processing
        self.phone_consent = request.channel is Channel.PHONE_CALL and (
            self.pu is ConsentPurpose.COMMERCIAL
        )
        """A commercial call: the consent a refusal during a call takes back (L223-1, v2)."""
        self.related_labels = related_labels(request, offer)
        self.related = frozenset(self.related_labels)

    @cached_property
    def calls_from(self) -> datetime:
        """D. 223-9: "in the N days before" is the window [at − N days, at)."""
        return period(PERIODS["call_window"], self.at).before(self.at)

    @cached_property
    def phone_opt_in(self) -> datetime:
        return start("phone_opt_in")

    @cached_property
    def gdpr(self) -> datetime:
        return start("gdpr")

    def sql_params(self) -> dict[str, tuple[SqlParam, str]]:
        """Every value above as (value, SQL type): moments in epoch microseconds, members
        of the vocabulary by their value."""
        return {
            "s": (self.s, "VARCHAR"),
            "ch": (self.ch.value if self.ch else None, "VARCHAR"),
            "pu": (self.pu.value if self.pu else None, "VARCHAR"),
            "proc": (self.proc, "VARCHAR"),
            "analysis": (self.analysis, "BOOLEAN"),
            "at": (micros(self.at), "BIGINT"),
            "related": (self.related_labels, "VARCHAR[]"),
            "phone_opt_in": (micros(self.phone_opt_in), "BIGINT"),
            "phone_consent": (self.phone_consent, "BOOLEAN"),
            "gdpr": (micros(self.gdpr), "BIGINT"),
            "calls_from": (micros(self.calls_from), "BIGINT"),
            "call_cap": (count(PERIODS["call_cap"], self.at), "INTEGER"),
        }
