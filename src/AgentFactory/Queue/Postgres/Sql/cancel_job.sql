-- A running job's worker sees the change when its next lease renewal finds no row to extend.
UPDATE agent_jobs
SET status = 'cancelled', completed_at = @now, error = COALESCE(error, 'cancelled by an operator'),
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND status IN ('pending', 'running');
