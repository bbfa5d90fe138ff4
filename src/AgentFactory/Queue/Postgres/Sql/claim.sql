-- One statement: lock the best due pending rows that no other instance holds (SKIP LOCKED, so
-- claimers never wait for each other), walking agent_jobs_claim, and mark them running under a lease.
-- A serialize job is claimable only while no job with its key runs and it is the oldest pending one
-- with its key (both probes on agent_jobs_concurrency); rows without a key skip that check. Jobs of one
-- key are committed in id order (the key lock at insert, concurrency_locks.sql), so two instances can
-- never each see "their" row as the oldest; agent_jobs_serialize_running refuses a second one regardless.
WITH next AS (
    SELECT c.id FROM agent_jobs c
    WHERE c.status = 'pending' AND c.scheduled_at <= @now
      AND (c.concurrency_mode IS DISTINCT FROM 'serialize' OR (
           NOT EXISTS (SELECT 1 FROM agent_jobs r
                       WHERE r.job_type = c.job_type AND r.concurrency_key = c.concurrency_key
                         AND r.status = 'running' AND r.concurrency_mode = 'serialize')
           AND NOT EXISTS (SELECT 1 FROM agent_jobs e
                           WHERE e.job_type = c.job_type AND e.concurrency_key = c.concurrency_key
                             AND e.status = 'pending' AND e.id < c.id)))
    ORDER BY c.priority DESC, c.id
    LIMIT @limit
    FOR UPDATE SKIP LOCKED)
UPDATE agent_jobs j
SET status = 'running',
    attempt = j.attempt + 1,
    started_at = @now,
    lease_owner = @owner,
    lease_expires_at = @lease_expires_at
FROM next
WHERE j.id = next.id
RETURNING j.*;
