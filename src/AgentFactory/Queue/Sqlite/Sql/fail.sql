-- @retry_at NULL: the job has used its attempts (or cannot succeed) and ends failed.
UPDATE agent_jobs
SET status = CASE WHEN @retry_at IS NULL THEN 'failed' ELSE 'pending' END,
    scheduled_at = COALESCE(@retry_at, scheduled_at),
    completed_at = CASE WHEN @retry_at IS NULL THEN @now ELSE NULL END,
    error = @error,
    errors = json_insert(errors, '$[#]', json_object('attempt', attempt, 'at', @now, 'error', @error)),
    output = @output,
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND status = 'running' AND lease_owner = @owner AND attempt = @attempt;
