-- Concurrency keys (issue 14): see the PostgreSQL migration for the contract.
ALTER TABLE agent_jobs ADD COLUMN concurrency_key TEXT;
ALTER TABLE agent_jobs ADD COLUMN concurrency_mode TEXT CHECK (concurrency_mode IN ('supersede', 'serialize', 'skip'));
CREATE INDEX agent_jobs_concurrency ON agent_jobs (job_type, concurrency_key, status, id)
    WHERE concurrency_key IS NOT NULL AND status IN ('pending', 'running');
CREATE UNIQUE INDEX agent_jobs_serialize_running ON agent_jobs (job_type, concurrency_key)
    WHERE status = 'running' AND concurrency_mode = 'serialize';
