-- One statement: lock the best due pending rows that no other instance holds (SKIP LOCKED, so
-- claimers never wait for each other), walking agent_jobs_claim, and mark them running under a lease.
WITH next AS (
    SELECT id FROM agent_jobs
    WHERE status = 'pending' AND scheduled_at <= @now
    ORDER BY priority DESC, id
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
