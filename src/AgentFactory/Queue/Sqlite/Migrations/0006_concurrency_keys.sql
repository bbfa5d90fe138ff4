-- Concurrency keys (issue 14): see the PostgreSQL migration for the contract.
ALTER TABLE agent_jobs ADD COLUMN concurrency_key TEXT;
ALTER TABLE agent_jobs ADD COLUMN concurrency_mode TEXT CHECK (concurrency_mode IN ('supersede', 'serialize', 'skip'));
-- Not partial: SQLite uses a partial index only when the query's WHERE implies the index's, and the claim's
-- correlated probes (r.concurrency_key = c.concurrency_key) do not imply "IS NOT NULL"; a partial index here
-- made every probe a table scan (11 jobs/s at 20,000 keyed jobs).
CREATE INDEX agent_jobs_concurrency ON agent_jobs (job_type, concurrency_key, status, id);
CREATE UNIQUE INDEX agent_jobs_serialize_running ON agent_jobs (job_type, concurrency_key)
    WHERE status = 'running' AND concurrency_mode = 'serialize';
