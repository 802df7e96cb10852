"""The ledger's tables, as numbered migrations.

A store records every migration applied in `schema_version`; opening a store
made by an older licite applies the missing ones in place, inside one
transaction under the write lock, so two processes opening it at once do not
both migrate. A store is upgraded, never rebuilt.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from licite.ledger.store import Store, Transaction

GENESIS = "0" * 64
"""The `prev_hash` of the first event and of the first person record."""

_EVENT_COLUMNS = """
    seq {seq} PRIMARY KEY,
    person_id TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    at_text TEXT NOT NULL,
    type TEXT NOT NULL,
    sender TEXT,
    channel TEXT,
    purpose TEXT,
    method TEXT,
    mechanism TEXT,
    processing TEXT,
    kind TEXT,
    outcome TEXT,
    via TEXT,
    object TEXT,
    products TEXT,
    source TEXT,
    wording TEXT,
    informed BOOLEAN,
    informed_at_us BIGINT,
    informed_at_text TEXT,
    terms_forbid_reuse BOOLEAN,
    opt_out_offered BOOLEAN,
    partner_consent BOOLEAN,
    partners_named BOOLEAN,
    consent_proof BOOLEAN,
    outside_hours BOOLEAN,
    proof_form TEXT,
    proof_wording TEXT,
    proof_recorded_by TEXT,
    proof_evidence TEXT,
    content_hash TEXT NOT NULL{content_hash},
    recorded_at_us BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
"""
"""The events table's columns (a contract with the batch scrub); only the content hash's
uniqueness changed, in v3."""


def _events_table(name: str, content_hash: str) -> str:
    return f"CREATE TABLE {name} (\n{_EVENT_COLUMNS.replace('{content_hash}', content_hash)});"


_V1 = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    email_hash TEXT,
    phone_hash TEXT,
    email_sealed TEXT,
    phone_sealed TEXT,
    postal_code_sealed TEXT,
    recorded_at_us BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    fingerprint TEXT,
    erased_at_us BIGINT
);
CREATE INDEX persons_email_hash ON persons (email_hash);
CREATE INDEX persons_phone_hash ON persons (phone_hash);
CREATE TABLE person_keys (person_id TEXT PRIMARY KEY, wrapped TEXT NOT NULL);
{events}
CREATE INDEX events_person ON events (person_id, at_us, seq);
CREATE TABLE wordings (sha256 TEXT PRIMARY KEY, text TEXT NOT NULL, recorded_at_us BIGINT NOT NULL);
CREATE TABLE heads (
    id INTEGER PRIMARY KEY,
    event_seq BIGINT NOT NULL,
    event_hash TEXT NOT NULL,
    person_seq BIGINT NOT NULL,
    person_hash TEXT NOT NULL,
    signed_at_us BIGINT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE checkpoints (
    id {seq} PRIMARY KEY,
    event_seq BIGINT NOT NULL,
    event_hash TEXT NOT NULL,
    person_seq BIGINT NOT NULL,
    person_hash TEXT NOT NULL,
    signed_at_us BIGINT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
""".replace("{events}", _events_table("events", " UNIQUE"))

_V2 = """
CREATE TABLE suppression_imports (
    id {seq} PRIMARY KEY,
    list TEXT NOT NULL,
    imported_at_us BIGINT NOT NULL,
    count BIGINT NOT NULL,
    recorded_at_us BIGINT NOT NULL
);
CREATE INDEX suppression_imports_list ON suppression_imports (list, imported_at_us);
CREATE TABLE suppression_entries (
    import_id BIGINT NOT NULL,
    phone_hash TEXT NOT NULL,
    PRIMARY KEY (import_id, phone_hash)
);
CREATE INDEX suppression_entries_phone ON suppression_entries (phone_hash);
CREATE TABLE suppressions (
    hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    PRIMARY KEY (hash, person_id)
);
"""
"""v2: opposition lists (Bloctel, C. consom. L223-1) and the hashes kept after an erasure."""

_V3: Mapping[str, str] = {
    "sqlite": f"""
{_events_table("events_v3", "")}
INSERT INTO events_v3 SELECT * FROM events;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;
CREATE UNIQUE INDEX events_content ON events (person_id, at_us, content_hash);
""",
    "postgresql": """
ALTER TABLE events DROP CONSTRAINT events_content_hash_key;
DROP INDEX events_person;
CREATE UNIQUE INDEX events_content ON events (person_id, at_us, content_hash);
""",
}
"""v3: one index on events, `(person_id, at_us, content_hash)`, unique.

The content hash is a keyed hash of an encoding that starts with the person and
the instant, so two events with the same hash have the same person and instant:
this index forbids exactly the duplicates the table-wide UNIQUE on
`content_hash` did, and it also serves a person's history in time order (which
`events_person` did). Its entries arrive grouped by person instead of at random,
so a commit no longer rewrites pages all over an index (inserts four times
faster on SQLite). SQLite cannot drop a column's UNIQUE in place: the table is
copied, row for row and value for value (the chain still verifies), inside the
migration's transaction."""

_V4 = """
ALTER TABLE events ADD COLUMN tie INTEGER NOT NULL DEFAULT 0;
UPDATE events SET tie = ranked.tie FROM (
    SELECT e.seq, row_number() OVER (PARTITION BY e.person_id, e.at_us ORDER BY e.seq) - 1
           AS tie
    FROM events e JOIN (SELECT person_id, at_us FROM events GROUP BY person_id, at_us
                        HAVING count(*) > 1) shared
      ON shared.person_id = e.person_id AND shared.at_us = e.at_us) ranked
WHERE ranked.seq = events.seq AND ranked.tie > 0;
"""
"""v4: `tie`, an event's rank among the person's events at the same instant, in the order
of `seq` (0 for the first; the journal gives each new event one more than the highest
there). `(at_us, tie)` orders a person's history as `(at_us, seq)` does, in two numbers
that fit one 64-bit integer, where `seq` numbers the whole ledger: the batch scrub groups
twenty million events on it in a quarter less time (docs/benchmarks.md). Events recorded
before v4 are ranked here, once."""

_V5 = """
ALTER TABLE heads ADD COLUMN state TEXT NOT NULL DEFAULT '';
CREATE INDEX persons_erased ON persons (erased_at_us) WHERE erased_at_us IS NOT NULL;
"""
"""v5: the head and the checkpoints signed in messages of their own kind (a checkpoint's
signature no longer passes for the head's), the head's signature also covering
`heads.state`, a summary of the tables the chains do not cover (`state.py`; the
partial index keeps its erasure part cheap). The existing signatures are replaced,
with the signing key, by `Journal.resign` (`migrate`'s `after` step)."""

_V6 = """
ALTER TABLE person_keys ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
CREATE INDEX person_keys_epoch ON person_keys (epoch);
CREATE TABLE epochs (
    id INTEGER PRIMARY KEY,
    key_id TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    erasures BIGINT NOT NULL DEFAULT 0
);
INSERT INTO epochs (id, key_id, created_at_us)
    SELECT 0, value, 0 FROM meta WHERE name = 'master_key_id';
"""
"""v6: key epochs (`licite.ledger.epochs`). Each person key names the epoch key it is
wrapped under; `epochs` lists them by the fingerprint of their key (the key itself is a
file outside the database) and counts the erasures since each began. A ledger made
before v6 keeps its keys as they are: the master key becomes epoch 0, until
`licite ledger rotate-keys` moves every key to a new epoch."""

_SERVICE = """
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT,
    scope TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    revoked_at_us BIGINT
);
CREATE TABLE campaigns (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    added_at_us BIGINT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE TABLE idempotency (
    key_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    status INTEGER,
    response TEXT,
    recorded_at_us BIGINT NOT NULL,
    PRIMARY KEY (key_id, idempotency_key)
);
"""
"""v7: the HTTP service's tables (issue 17), self-contained: API keys (the secret's SHA-256
only; revoking stamps `revoked_at_us`, a key is never deleted), campaigns (each `add`
of an id is a new version, the latest one in use; none is rewritten), and the
responses of writes made under an `Idempotency-Key`, written in the journal's
transaction with the write itself."""

_SMS = """
CREATE TABLE sms_inbound (
    message_id TEXT PRIMARY KEY,
    phone_hash TEXT NOT NULL,
    sender TEXT NOT NULL,
    stop BOOLEAN NOT NULL,
    persons BIGINT NOT NULL,
    received_at_us BIGINT NOT NULL
);
CREATE INDEX sms_inbound_phone ON sms_inbound (phone_hash, received_at_us);
"""
"""v8: the messages of the STOP-by-SMS webhook (issue 18), self-contained: one row a
gateway message id, so a redelivered message is answered without a second objection, and
the keyed hash of the number a STOP came from — the suppression record of a number the
ledger does not know (yet), never the number itself."""

_GATEWAY = """
CREATE TABLE gateway_log (
    message_key TEXT NOT NULL,
    campaign TEXT NOT NULL,
    campaign_version INTEGER NOT NULL,
    recipient_hash TEXT NOT NULL,
    person_id TEXT,
    outcome TEXT NOT NULL,
    codes TEXT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX gateway_log_message ON gateway_log (message_key, recipient_hash);
CREATE INDEX gateway_log_campaign ON gateway_log (campaign, at_us);
"""
"""v9: what the outgoing mail gateway did with each recipient (issue 19), self-contained:
the message (a digest of it as received, so a retried message is recognized), the campaign
and its version, the recipient as the keyed hash of the address (never the address), the
ledger's person when there is one, `delivered` (with the basis), `refused` (with the
reason codes) or `upstream-refused` (with the upstream's code), and the moment."""

_RETENTION = """
CREATE TABLE retention_runs (
    id BIGINT PRIMARY KEY,
    started_at_us BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    sender TEXT,
    finished_at_us BIGINT,
    decided BIGINT NOT NULL DEFAULT 0,
    erased BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE retention_erasures (
    person_id TEXT PRIMARY KEY,
    run_id BIGINT NOT NULL,
    code TEXT NOT NULL,
    senders TEXT NOT NULL,
    clock_start_us BIGINT,
    clock_end_us BIGINT,
    erased_at_us BIGINT NOT NULL
);
CREATE INDEX retention_erasures_run ON retention_erasures (run_id);
"""
"""v10: retention runs (issue 20), self-contained: one row a `licite retention run` (its
moment, its sender filter, when it finished and what it did), and one row a person it
erased, written in the erasure's own transaction — so a run killed half way leaves the
record of exactly the erasures that happened, and the person's id is the key: no one is
recorded, or erased, twice. Codes and dates only: no personal data."""

_VERIFICATIONS = """
CREATE TABLE verifications (
    at_us BIGINT NOT NULL,
    intact BOOLEAN NOT NULL,
    events BIGINT NOT NULL,
    witnessed BOOLEAN NOT NULL,
    fault TEXT
);
CREATE INDEX verifications_at ON verifications (at_us);
"""
"""v11: what each `licite ledger verify` found (issue 18: the DPO's dashboard shows the
ledger's last verification), self-contained: when, intact or not, how many events it walked,
whether a witness log was compared, and the first fault's text (record numbers and codes,
never personal data). An operations record, not evidence: the chain and the witness are
what prove; this says when someone last looked."""

MIGRATIONS: tuple[str | Mapping[str, str], ...] = (
    _V1,
    _V2,
    _V3,
    _V4,
    _V5,
    _V6,
    _SERVICE,
    _SMS,
    _GATEWAY,
    _RETENTION,
    _VERIFICATIONS,
)
LATEST = len(MIGRATIONS)
TIES = 4
"""The version from which events carry `tie`."""
SIGNED_STATE = 5
"""The version from which signatures are domain-separated and the head signs `state`."""
EPOCHS = 6
"""The version from which person keys are wrapped by epoch keys (`licite.ledger.epochs`)."""
SMS_INBOUND = 8
"""The version from which STOPs by SMS are kept by the number's hash (`sms_inbound`)."""
RETENTION = 10
"""The version from which retention runs are recorded (`licite.retention`)."""
VERIFICATIONS = 11
"""The version from which `ledger verify` records what it found (`ledger.verifications`)."""


def migrate(
    store: Store,
    target: int = LATEST,
    *,
    on_create: Callable[[Transaction], None],
    after: Mapping[int, Callable[[Transaction], None]] | None = None,
) -> int:
    """Bring the store to `target`; `on_create` fills a brand-new store, `after[v]` runs
    right after version v's tables (a step that needs the keys). Returns the version."""
    with store.write() as tx:
        if store.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(7365425)")  # "licite" migrations
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version INTEGER PRIMARY KEY, applied_at_us BIGINT NOT NULL)"
        )
        current = tx.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0]
        for version in range(current + 1, target + 1):
            _apply(tx, store.dialect, MIGRATIONS[version - 1])
            now = time.time_ns() // 1000
            tx.execute("INSERT INTO schema_version VALUES (?, ?)", (version, now))
            if version == 1:
                on_create(tx)
            if after and version in after:
                after[version](tx)
        return max(int(current), target)


def _apply(tx: Transaction, dialect: str, migration: str | Mapping[str, str]) -> None:
    script = migration if isinstance(migration, str) else migration[dialect]
    seq = "INTEGER" if dialect == "sqlite" else "BIGINT"
    for statement in script.format(seq=seq).split(";"):
        if statement.strip():
            tx.execute(statement)
