-- A worker that stops renewing has crashed or lost the database: its attempt counts as failed and
-- the job goes back to the queue, or ends failed when that was its last attempt.
UPDATE agent_jobs
SET status = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
    completed_at = CASE WHEN attempt >= max_attempts THEN @now ELSE NULL END,
    scheduled_at = @now,
    error = 'lease expired: worker ' || COALESCE(lease_owner, '?') || ' stopped renewing (it crashed, hung or lost the database)',
    errors = json_insert(errors, '$[#]', json_object('attempt', attempt, 'at', @now,
             'error', 'lease expired: worker ' || COALESCE(lease_owner, '?') || ' stopped renewing (it crashed, hung or lost the database)')),
    lease_owner = NULL, lease_expires_at = NULL
WHERE status = 'running' AND lease_expires_at < @now;
