"""The upstream relay: one SMTP connection, kept open between messages (smtplib).

STARTTLS and AUTH as `GatewaySettings` says. Every failure becomes an `Upstream` with the
SMTP code to give the client: a temporary one (4xx, or the upstream unreachable) makes
the gateway answer 451 so that the client retries; a permanent one is passed on.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from ipaddress import ip_address

from licite.gateway.config import GatewaySettings

IDLE = 1.0
"""Seconds after which a kept connection is checked (NOOP) before the next message."""


class Upstream(Exception):
    """The upstream did not take a copy: `code` (4xx: retry), `text` in ASCII for the client."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(code, text)
        self.code = code
        enhanced, _, rest = text.partition(" ")
        if re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", enhanced):
            self.enhanced, self.text = enhanced, rest
        else:
            self.enhanced = "4.4.2" if code < 500 else "5.0.0"
            self.text = text

    @property
    def temporary(self) -> bool:
        return self.code < 500


class Relay:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._used = 0.0

    def ready(self, eight_bit: bool) -> None:
        """A connection that answers, before any copy goes out (nothing half sent because
        the upstream was already gone). One used within the last second is taken as alive:
        if it is not, the first copy fails before any is sent, and the client hears 451."""
        if self._smtp is not None and time.monotonic() - self._used > IDLE:
            try:
                code = self._smtp.noop()[0]
            except (smtplib.SMTPException, OSError):
                code = 0
            if code != 250:
                self.close()
        if self._smtp is None:
            self._smtp = self._connect()
        self._used = time.monotonic()
        if eight_bit and not self._smtp.has_extn("8bitmime"):
            raise Upstream(554, "5.6.3 upstream does not take 8-bit bodies (8BITMIME)")

    def send(self, mail_from: str, address: str, copy: bytes, eight_bit: bool) -> None:
        assert self._smtp is not None
        options = ["BODY=8BITMIME"] if eight_bit else []
        try:
            refused = self._smtp.sendmail(mail_from, [address], copy, options)
        except smtplib.SMTPRecipientsRefused as error:
            code, _ = next(iter(error.recipients.values()))
            raise Upstream(code, f"upstream refused the recipient ({code})") from None
        except smtplib.SMTPResponseException as error:
            self._drop_if_closed(error.smtp_code)
            raise Upstream(error.smtp_code, f"upstream answered {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise Upstream(
                451, f"4.4.2 upstream connection lost ({type(error).__name__})"
            ) from None
        self._used = time.monotonic()
        if refused:
            code = next(iter(refused.values()))[0]
            raise Upstream(code, f"upstream refused the recipient ({code})")

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.upstream_host, s.upstream_port, timeout=s.timeout)
        except (smtplib.SMTPException, OSError):
            raise Upstream(451, "4.4.1 upstream unreachable, try again later") from None
        try:
            smtp.ehlo()
            tls = False
            if s.starttls != "off" and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context(cafile=s.ca_file))
                smtp.ehlo()
                tls = True
            elif s.starttls == "require":
                raise Upstream(451, "4.7.0 upstream does not offer STARTTLS (required)")
            if s.user is not None and s.password is not None:
                if not tls and not _loopback(s.upstream_host):
                    raise Upstream(451, "4.7.0 no TLS towards the upstream: AUTH not sent")
                smtp.login(s.user, s.password)
        except Upstream:
            smtp.close()
            raise
        except smtplib.SMTPAuthenticationError:
            smtp.close()
            raise Upstream(451, "4.7.0 upstream refused our AUTH") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError):
            smtp.close()
            raise Upstream(451, "4.4.1 upstream failed while greeting, try again later") from None
        return smtp

    def _drop_if_closed(self, code: int) -> None:
        if code == 421:
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
