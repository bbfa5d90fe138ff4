-- Agent Factory schema, version 1 (SQLite). Timestamps are ISO-8601 UTC text ("2026-01-02T03:04:05.1234567Z"),
-- fixed width so they compare correctly as text.
CREATE TABLE webhook_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id      TEXT    NOT NULL,
    hook_id          TEXT    NOT NULL DEFAULT '',
    event_type       TEXT    NOT NULL,
    action           TEXT,
    repository       TEXT,
    received_at      TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    converted_to_job INTEGER NOT NULL DEFAULT 0
);
-- GitHub reuses a delivery GUID across hooks: the identity of a delivery is (hook, delivery).
CREATE UNIQUE INDEX webhook_events_delivery ON webhook_events (hook_id, delivery_id);
CREATE INDEX webhook_events_type_received ON webhook_events (event_type, received_at);

CREATE TABLE agent_jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    job_type         TEXT    NOT NULL,
    payload          TEXT    NOT NULL DEFAULT '{}',
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    priority         INTEGER NOT NULL DEFAULT 0,
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 3,
    created_at       TEXT    NOT NULL,
    scheduled_at     TEXT    NOT NULL,
    started_at       TEXT,
    completed_at     TEXT,
    error            TEXT,
    errors           TEXT    NOT NULL DEFAULT '[]',
    output           TEXT,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    event_id         INTEGER REFERENCES webhook_events (id) ON DELETE SET NULL
);
-- Claimable rows only: priority first, then age (id grows with created_at).
CREATE INDEX agent_jobs_claim ON agent_jobs (priority DESC, id) WHERE status = 'pending';
CREATE INDEX agent_jobs_lease ON agent_jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX agent_jobs_status_created ON agent_jobs (status, created_at);
CREATE INDEX agent_jobs_event ON agent_jobs (event_id);
