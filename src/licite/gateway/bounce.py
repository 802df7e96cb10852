"""The delivery status notification for recipients refused in a message others received.

One SMTP reply covers a whole transaction (RFC 5321 §4.2.5): when some recipients were
reached and others refused, the client hears 250, and the refusals go back as a
bounce — a `multipart/report` (RFC 3464, RFC 6522) to the envelope sender, one
`Status: 5.7.1` a refused recipient with its reason codes and citations — which mailing
tools read as hard bounces and use to stop writing to the address. Never sent for a
message whose envelope sender is empty (a bounce is not bounced, RFC 5321 §4.5.5).
"""

from __future__ import annotations

import socket
from datetime import datetime
from email.utils import format_datetime, make_msgid

EXPLANATION = (
    "licite n'a pas transmis ce message aux destinataires ci-dessous : le registre de"
    " consentements ne permet pas de leur écrire (codes et articles ci-dessous).\r\n\r\n"
    "licite did not pass this message on to the recipients below: the consent ledger does"
    " not allow writing to them (codes and articles below).\r\n"
)


def report(
    mail_from: str,
    refused: list[tuple[str, str]],
    headers: bytes,
    key: str,
    now: datetime,
) -> bytes:
    """The bounce to `mail_from` for `refused` (address, `CODE citation; …`); `headers` are
    the original message's header fields as relayed (campaign header removed)."""
    host = socket.getfqdn() or "localhost"
    boundary = f"licite-report-{key}"
    per_recipient = "".join(
        f"\r\nFinal-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.7.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.7.1 {reasons}\r\n"
        for address, reasons in refused
    )
    listed = "".join(f"  <{address}> {reasons}\r\n" for address, reasons in refused)
    text = (
        f"From: licite gateway <mailer-daemon@{host}>\r\n"
        f"To: <{mail_from}>\r\n"
        "Subject: =?utf-8?q?Non_transmis_/_Not_delivered?=\r\n"
        f"Date: {format_datetime(now)}\r\n"
        f"Message-ID: {make_msgid('licite', host)}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{EXPLANATION}\r\n{listed}\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {host}\r\n"
        f"{per_recipient}\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
    ).encode()
    return text + headers + f"\r\n--{boundary}--\r\n".encode()
