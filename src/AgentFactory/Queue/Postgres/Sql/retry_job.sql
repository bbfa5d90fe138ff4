UPDATE agent_jobs
SET status = 'pending', attempt = 0, scheduled_at = @now, started_at = NULL, completed_at = NULL,
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND status IN ('failed', 'cancelled');
