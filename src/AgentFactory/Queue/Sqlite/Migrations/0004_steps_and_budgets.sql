-- The agents' transcripts and the model budget ledger (issue 13); see the PostgreSQL migration for the contract.
CREATE TABLE agent_job_steps (
    job_id        INTEGER NOT NULL REFERENCES agent_jobs (id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    at            TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    input         TEXT,
    output        TEXT,
    is_error      INTEGER NOT NULL DEFAULT 0,
    duration_ms   INTEGER NOT NULL DEFAULT 0,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd      TEXT,
    call_id       TEXT,
    PRIMARY KEY (job_id, idx)
);
-- USD amounts are decimal text (exact); sums are done in the service, not by SQLite's floating point.
CREATE TABLE agent_budget_ledger (
    id            TEXT    PRIMARY KEY,
    job_id        INTEGER NOT NULL,
    repository    TEXT    NOT NULL,
    day           TEXT    NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    usd           TEXT    NOT NULL DEFAULT '0',
    settled       INTEGER NOT NULL DEFAULT 0,
    expires_at    TEXT    NOT NULL
);
CREATE INDEX agent_budget_ledger_job ON agent_budget_ledger (job_id);
CREATE INDEX agent_budget_ledger_repository_day ON agent_budget_ledger (repository, day);
