-- Concurrency keys (issue 14). A job type's "concurrency" setting renders a key from the payload when
-- the job is queued; key and mode are frozen on the row and compared within the job type:
--   supersede  the new job cancels the older pending and running jobs with its key;
--   serialize  at most one job with the key runs at a time (the claim waits for it, oldest first);
--   skip       a new job is recorded cancelled while one with its key is pending.
-- Jobs without a key (NULL) are untouched by all of it, and the claim reads these columns only for
-- serialize rows. agent_jobs_concurrency serves every per-key look-up (claim, supersede, skip);
-- agent_jobs_serialize_running lets the database itself refuse a second running serialize job.
ALTER TABLE agent_jobs ADD COLUMN IF NOT EXISTS concurrency_key text;
ALTER TABLE agent_jobs ADD COLUMN IF NOT EXISTS concurrency_mode text
    CHECK (concurrency_mode IN ('supersede', 'serialize', 'skip'));
CREATE INDEX IF NOT EXISTS agent_jobs_concurrency ON agent_jobs (job_type, concurrency_key, status, id)
    WHERE concurrency_key IS NOT NULL AND status IN ('pending', 'running');
CREATE UNIQUE INDEX IF NOT EXISTS agent_jobs_serialize_running ON agent_jobs (job_type, concurrency_key)
    WHERE status = 'running' AND concurrency_mode = 'serialize';
