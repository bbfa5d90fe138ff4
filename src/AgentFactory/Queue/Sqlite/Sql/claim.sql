-- Claim the best due pending jobs: priority first, then age. SQLite has one writer at a time, so the
-- sub-select and the update see the same rows (the PostgreSQL store uses FOR UPDATE SKIP LOCKED).
UPDATE agent_jobs
SET status = 'running',
    attempt = attempt + 1,
    started_at = @now,
    lease_owner = @owner,
    lease_expires_at = @lease_expires_at
WHERE id IN (
    SELECT id FROM agent_jobs
    WHERE status = 'pending' AND scheduled_at <= @now
    ORDER BY priority DESC, id
    LIMIT @limit)
RETURNING *;
