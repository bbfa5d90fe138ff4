UPDATE agent_jobs
SET status = 'completed', completed_at = @now, output = @output, error = NULL,
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND status = 'running' AND lease_owner = @owner AND attempt = @attempt;
