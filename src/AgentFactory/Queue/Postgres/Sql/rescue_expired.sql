-- A worker that stops renewing has crashed or lost the database: its attempt counts as failed and
-- the job goes back to the queue, or ends failed when that was its last attempt. SKIP LOCKED: when
-- several instances rescue at once, each takes different rows and none waits or deadlocks.
WITH expired AS (
    SELECT id, 'lease expired: worker ' || COALESCE(lease_owner, '?')
               || ' stopped renewing (it crashed, hung or lost the database)' AS error
    FROM agent_jobs
    WHERE status = 'running' AND lease_expires_at < @now
    FOR UPDATE SKIP LOCKED)
UPDATE agent_jobs j
SET status = CASE WHEN j.attempt >= j.max_attempts THEN 'failed' ELSE 'pending' END,
    completed_at = CASE WHEN j.attempt >= j.max_attempts THEN @now ELSE NULL END,
    scheduled_at = @now,
    error = expired.error,
    errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, 'at', @at::text, 'error', expired.error)),
    lease_owner = NULL, lease_expires_at = NULL
FROM expired
WHERE j.id = expired.id;
