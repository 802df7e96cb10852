"""The outgoing mail gateway (issue 19): no unlawful commercial email leaves.

An SMTP relay between a mailing tool and its sending server. A message names its
campaign in `X-Licite-Campaign`; every recipient is decided against the ledger at the
moment of sending (CPCE art. L34-5, GDPR art. 21) through the engine `licite decide
--person` uses; a refused recipient gets `550 5.7.1` with its reason codes and their
citations, an allowed one its own copy with the one-click unsubscribe headers of
RFC 8058, and every outcome is kept in the ledger (`licite.ledger.deliveries`).
"""

from licite.gateway.config import GatewaySettings
from licite.gateway.handler import Handler
from licite.gateway.relaying import Gateway
from licite.gateway.server import running, serve

__all__ = ["Gateway", "GatewaySettings", "Handler", "running", "serve"]
