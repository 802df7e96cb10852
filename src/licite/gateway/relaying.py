"""One message through the gateway, from its bytes to the SMTP reply (issue 19).

In order, each step able to end it:
1. the header block read; the campaign named by `X-Licite-Campaign`, registered, and an
   email contact — else 550 naming the header (the gateway fails closed);
2. every recipient decided from the ledger at this moment, the message's own facts
   (sender, subject, a way to object: L34-5 al. 5–6) given to the engine with the
   campaign's request — a MSG-* refusal refuses the whole message. The campaign, who an
   earlier try reached and every recipient's records and history are read in one batch
   inside one snapshot (`recipients.Recipients`; one round trip to PostgreSQL), nothing
   about a person kept from one message to the next;
3. each allowed recipient, not already reached by an earlier try of the same bytes, sent
   its own copy upstream: `List-Unsubscribe` with that person's one-click link
   (`licite unsubscribe-headers`' values, RFC 8058) and `List-Unsubscribe-Post`, the campaign
   header removed;
4. what was done recorded (`deliveries`), then the reply: 250 when no one was refused,
   550 5.7.1 with every refused recipient's codes and citations when no one was reached,
   250 naming the refusals otherwise, and then a bounce to the sender with them
   (`bounce`, RFC 3464); 451 when the upstream failed, after
   recording who was reached, so that the client's retry reaches only the others.

Runs in one thread (`handler`): the ledger's connection and the upstream connection
belong to it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime

from licite.case import Campaign, load_campaign
from licite.errors import LiciteError
from licite.gateway import bounce, replies
from licite.gateway.config import GatewaySettings
from licite.gateway.message import (
    DROPPED,
    BadMessage,
    Received,
    campaign_id,
    copy_for,
    facts,
    read,
)
from licite.gateway.recipients import Decided, Recipients
from licite.gateway.relay import Relay, Upstream
from licite.i18n import Text
from licite.ledger.deliveries import (
    DELIVERED,
    REFUSED,
    UPSTREAM_REFUSED,
    Entry,
    delivered_hashes,
    delivered_statement,
    message_key,
    record,
)
from licite.ledger.ledger import Ledger
from licite.ledger.store import Row
from licite.moments import PARIS
from licite.service.links import links_key
from licite.service.unsubscribe import ONE_CLICK, header_values
from licite.vocabulary import Action, Channel

log = logging.getLogger("licite.service.gateway")
_CAMPAIGN = "SELECT version, document FROM campaigns WHERE id = ? ORDER BY version DESC LIMIT 1"


class Gateway:
    def __init__(
        self, ledger: Ledger, settings: GatewaySettings, environ: Mapping[str, str] | None = None
    ) -> None:
        self.ledger = ledger
        self.settings = settings
        self.relay = Relay(settings)
        self.links_key = links_key(ledger.location, environ)
        self._campaigns: dict[tuple[str, int], Campaign] = {}

    def close(self) -> None:
        self.relay.close()

    def handle(self, mail_from: str, addresses: list[str], content: bytes) -> str:
        try:
            message = read(content)
        except BadMessage as error:
            return replies.unreadable(str(error))
        named = campaign_id(message)
        if named is None:
            return replies.campaign_refused("missing")
        if isinstance(named, tuple):
            return replies.campaign_refused(*named)
        try:
            recipients = Recipients(self.ledger, addresses)
            key = message_key(message.content)
            now = datetime.now(PARIS)
            # The campaign and who an earlier try reached, read with the recipients.
            named_rows, earlier_rows = recipients.read(
                now, [(_CAMPAIGN, (named,)), delivered_statement(key)]
            )
            found = self._campaign(named, named_rows)
            if isinstance(found, str):
                return found
            campaign, version = found
            described = campaign.model_copy(
                update={"request": campaign.request.model_copy(update={"message": facts(message)})}
            )
            everyone = recipients.decide(described, now)
            return self._send(
                mail_from,
                message,
                key,
                (campaign, version),
                everyone,
                delivered_hashes(earlier_rows),
                now,
            )
        except LiciteError as error:
            log.error("gateway: ledger error (%s)", type(error).__name__)
            return replies.reply(
                451,
                "4.3.0",
                [replies.bilingual(Text("registre indisponible", "ledger unavailable"))],
            )

    def _campaign(self, named: str, rows: list[Row]) -> tuple[Campaign, int] | str:
        if not rows:
            return replies.campaign_refused("unknown", named)
        version = int(rows[0][0])
        campaign = self._campaigns.get((named, version))
        if campaign is None:
            campaign = load_campaign(json.loads(rows[0][1]), name=f"campaign {named}")
            self._campaigns[(named, version)] = campaign
        request = campaign.request
        if request.action is not Action.CONTACT or request.channel is not Channel.EMAIL:
            shown = f"{request.action.value} {request.channel.value if request.channel else ''}"
            return replies.campaign_refused("channel", shown.strip())
        return campaign, version

    def _send(
        self,
        mail_from: str,
        message: Received,
        key: str,
        found: tuple[Campaign, int],
        everyone: list[Decided],
        earlier: set[str],
        now: datetime,
    ) -> str:
        campaign, version = found
        assert campaign.id is not None
        name = campaign.id
        refused = [d for d in everyone if not d.decision.allowed]
        if any(r.code.startswith("MSG-") for d in refused for r in d.decision.reasons):
            record(self.ledger, key, name, version, _refusals(refused))
            worst = next(d for d in refused if replies.reasons(d.decision, "MSG-"))
            return replies.message_refused(worst.decision)
        to_send = [d for d in everyone if d.decision.allowed and d.recipient_hash not in earlier]
        reached: list[Entry] = []
        upstream_refused: list[tuple[Decided, Upstream]] = []
        eight_bit = not message.content.isascii()
        failure: Upstream | None = None
        if to_send:
            try:
                self.relay.ready(eight_bit)
            except Upstream as error:
                failure = error
        for one in to_send if failure is None else []:
            copy = copy_for(message, self._unsubscribe(one, campaign))
            try:
                self.relay.send(mail_from, one.address, copy, eight_bit)
            except Upstream as error:
                if error.temporary:
                    failure = error
                    break
                upstream_refused.append((one, error))
                reached.append(
                    Entry(one.recipient_hash, one.person_id, UPSTREAM_REFUSED, str(error.code))
                )
                continue
            basis = one.decision.basis or ""
            reached.append(Entry(one.recipient_hash, one.person_id, DELIVERED, basis))
        if failure is not None:
            record(self.ledger, key, name, version, [e for e in reached if e.outcome == DELIVERED])
            return replies.reply(
                451 if failure.temporary else failure.code,
                failure.enhanced,
                [failure.text, replies.retry(sum(e.outcome == DELIVERED for e in reached))],
            )
        record(self.ledger, key, name, version, reached + _refusals(refused))
        allowed_any = len(everyone) > len(refused) + len(upstream_refused)  # now or before
        if allowed_any and (refused or upstream_refused) and mail_from:
            self._bounce(mail_from, message, key, refused, upstream_refused, now)
        return replies.final(everyone, refused, upstream_refused)

    def _bounce(
        self,
        mail_from: str,
        message: Received,
        key: str,
        refused: list[Decided],
        upstream_refused: list[tuple[Decided, Upstream]],
        now: datetime,
    ) -> None:
        """The refusals of a message others received, back to its sender (`bounce`)."""
        listed = [(d.address, replies.reasons(d.decision)) for d in refused]
        listed += [(d.address, error.text) for d, error in upstream_refused]
        headers = b"".join(raw for field, raw in message.fields if field not in DROPPED)
        dsn = bounce.report(mail_from, listed, headers, key, now)
        try:
            self.relay.send("", mail_from, dsn, eight_bit=True)
        except Upstream as error:  # the reply still names every refusal
            log.warning("gateway: bounce not sent (upstream %s)", error.code)

    def _unsubscribe(self, one: Decided, campaign: Campaign) -> list[tuple[str, str]]:
        person = self.settings.person
        if one.person_id is None:
            if person.mailto is None:
                return []
            return [("List-Unsubscribe", f"<mailto:{person.mailto}?subject=unsubscribe>")]
        assert campaign.id is not None
        values = header_values(
            person, self.links_key, one.person_id, campaign.sender.id, campaign.id
        )
        return [
            ("List-Unsubscribe", values["List-Unsubscribe"]),
            ("List-Unsubscribe-Post", ONE_CLICK),
        ]


def _refusals(refused: list[Decided]) -> list[Entry]:
    return [
        Entry(
            d.recipient_hash,
            d.person_id,
            REFUSED,
            " ".join(r.code for r in d.decision.reasons),
        )
        for d in refused
    ]
