-- Graceful hand-back: the interrupted attempt does not count.
UPDATE agent_jobs
SET status = 'pending', attempt = attempt - 1, scheduled_at = @now, started_at = NULL,
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND status = 'running' AND lease_owner = @owner AND attempt = @attempt;
