-- Claim the best due pending jobs: priority first, then age. SQLite has one writer at a time, so the
-- sub-select and the update see the same rows (the PostgreSQL store uses FOR UPDATE SKIP LOCKED).
-- A serialize job is claimable only while no job with its key runs and it is the oldest pending one
-- with its key (agent_jobs_concurrency); rows without a key skip that check. The INDEXED BY clauses pin
-- the plan: left to itself the planner took agent_jobs_status_created, probed every pending row and
-- sorted them all before the LIMIT (a claim cost grew with the backlog, and keyed ones by two probes a
-- row); walking agent_jobs_claim in order stops at the limit, and the running probe reads only the
-- small partial index of running serialize jobs.
UPDATE agent_jobs
SET status = 'running',
    attempt = attempt + 1,
    started_at = @now,
    lease_owner = @owner,
    lease_expires_at = @lease_expires_at
WHERE id IN (
    SELECT c.id FROM agent_jobs c INDEXED BY agent_jobs_claim
    WHERE c.status = 'pending' AND c.scheduled_at <= @now
      AND (c.concurrency_mode IS NOT 'serialize' OR (
           NOT EXISTS (SELECT 1 FROM agent_jobs r INDEXED BY agent_jobs_serialize_running
                       WHERE r.job_type = c.job_type AND r.concurrency_key = c.concurrency_key
                         AND r.status = 'running' AND r.concurrency_mode = 'serialize')
           AND NOT EXISTS (SELECT 1 FROM agent_jobs e
                           WHERE e.job_type = c.job_type AND e.concurrency_key = c.concurrency_key
                             AND e.status = 'pending' AND e.id < c.id)))
    ORDER BY c.priority DESC, c.id
    LIMIT @limit)
RETURNING *;
