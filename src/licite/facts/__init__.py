"""The facts of a history: which events each one reads, declared once
(`licite.facts.declared`), the request's scope they are read against
(`licite.facts.scope`), and the engine's reader (`licite.facts.reader`); the scrub's
reader is `licite.scrub.facts_sql`, written from the same declarations."""

from licite.facts.reader import ordered, read_facts
from licite.facts.scope import Scope, related_labels, scope_purpose

__all__ = ["Scope", "ordered", "read_facts", "related_labels", "scope_purpose"]
