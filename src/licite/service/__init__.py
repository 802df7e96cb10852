"""`licite serve`: the decision API a CRM, a marketing tool or a dialer asks before it acts.

The same engine and the same ledger as the command line, over HTTP (issue 17):
`app.create_app` builds the FastAPI application; its routes are in `decisions`,
`records` (people, events, dossier), `scrubs` and `app` (catalogue, operations),
sharing a `context.Context`. `config` reads the settings from the environment,
`keys` makes the scoped API keys `context` checks on every route, `campaigns`
keeps the campaigns the API, the scrub and the mail gateway name, `writes`
appends through the ledger's journal, `jobs` runs scrubs in the background;
`problems` and `handlers` turn every failure into RFC 9457 problem details,
`observe` logs (`logs`: no personal data) and counts (`metrics`) each request,
`models` shapes the bodies; `commands` is the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from licite.service.app import create_app
    from licite.service.config import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    """Imported when first asked for: `licite keys` and `licite campaigns` need no FastAPI."""
    if name == "create_app":
        from licite.service.app import create_app

        return create_app
    if name == "Settings":
        from licite.service.config import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
