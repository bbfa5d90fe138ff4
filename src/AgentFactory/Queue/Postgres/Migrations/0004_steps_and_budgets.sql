-- The agents' transcripts and the model budget ledger (issue 13).
-- agent_job_steps: every model turn and tool call of a job, numbered per job across attempts.
CREATE TABLE agent_job_steps (
    job_id        bigint        NOT NULL REFERENCES agent_jobs (id) ON DELETE CASCADE,
    idx           integer       NOT NULL,
    attempt       integer       NOT NULL,
    at            timestamptz   NOT NULL,
    kind          text          NOT NULL,
    name          text          NOT NULL,
    input         text,
    output        text,
    is_error      boolean       NOT NULL DEFAULT false,
    duration_ms   bigint        NOT NULL DEFAULT 0,
    input_tokens  bigint        NOT NULL DEFAULT 0,
    output_tokens bigint        NOT NULL DEFAULT 0,
    cost_usd      numeric(18,8),
    call_id       text,
    PRIMARY KEY (job_id, idx)
);
-- agent_budget_ledger: one row per model call, reserved at its worst case before the call and settled
-- with what it used after. A reservation never settled (its process died) stops counting at expires_at.
-- Rows outlive their job: a repository's daily spending does not shrink when old jobs are pruned.
CREATE TABLE agent_budget_ledger (
    id            text          PRIMARY KEY,
    job_id        bigint        NOT NULL,
    repository    text          NOT NULL,
    day           date          NOT NULL,
    input_tokens  bigint        NOT NULL,
    output_tokens bigint        NOT NULL,
    usd           numeric(18,8) NOT NULL DEFAULT 0,
    settled       boolean       NOT NULL DEFAULT false,
    expires_at    timestamptz   NOT NULL
);
CREATE INDEX agent_budget_ledger_job ON agent_budget_ledger (job_id);
CREATE INDEX agent_budget_ledger_repository_day ON agent_budget_ledger (repository, day);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        ALTER TABLE agent_job_steps ENABLE ROW LEVEL SECURITY;
        ALTER TABLE agent_budget_ledger ENABLE ROW LEVEL SECURITY;
    END IF;
END $$;
