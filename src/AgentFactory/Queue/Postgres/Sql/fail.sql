-- @retry_at NULL: the job has used its attempts (or cannot succeed) and ends failed.
UPDATE agent_jobs
SET status = CASE WHEN @retry_at::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
    scheduled_at = COALESCE(@retry_at::timestamptz, scheduled_at),
    completed_at = CASE WHEN @retry_at::timestamptz IS NULL THEN @now ELSE NULL END,
    error = @error,
    errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempt, 'at', @at::text, 'error', @error::text)),
    output = @output,
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND status = 'running' AND lease_owner = @owner AND attempt = @attempt;
