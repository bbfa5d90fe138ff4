-- Supersede mode: the new job @id cancels every other pending or running job with its type and key.
-- A running one's worker sees 'cancelled' at its next lease renewal (woken at once in this process) and
-- writes nothing: its fenced write-backs find the lease gone.
UPDATE agent_jobs
SET status = 'cancelled', completed_at = @now, error = 'superseded by job ' || @id,
    lease_owner = NULL, lease_expires_at = NULL
WHERE job_type = @job_type AND concurrency_key = @concurrency_key
  AND status IN ('pending', 'running') AND id <> @id;
