-- A job with a concurrency key, after concurrency_locks.sql took its key's lock in this transaction.
-- Skip mode: while a job with the same type and key is pending, the new one is recorded cancelled with
-- the reason instead of queued (the caller still gets its id). Supersede mode: the new job cancels every
-- other pending or running job with its type and key; the NOTIFY payload 'leases' then makes every
-- instance renew its leases at once, so a superseded agent stops within milliseconds.
WITH waiting AS (
    SELECT min(id) AS id FROM agent_jobs
    WHERE @concurrency_mode = 'skip' AND job_type = @job_type AND concurrency_key = @concurrency_key
      AND status = 'pending'),
job AS (
    INSERT INTO agent_jobs (job_type, payload, status, priority, max_attempts, created_at, scheduled_at, event_id,
                            concurrency_key, concurrency_mode, completed_at, error)
    SELECT @job_type, @payload,
           CASE WHEN w.id IS NULL THEN 'pending' ELSE 'cancelled' END,
           @priority, @max_attempts, @now, @scheduled_at, @event_id, @concurrency_key, @concurrency_mode,
           CASE WHEN w.id IS NULL THEN NULL ELSE @now END,
           CASE WHEN w.id IS NULL THEN NULL ELSE 'skipped: job ' || w.id || ' with the same concurrency key is pending' END
    FROM waiting w
    RETURNING id),
superseded AS (
    UPDATE agent_jobs o
    SET status = 'cancelled', completed_at = @now, error = 'superseded by job ' || job.id,
        lease_owner = NULL, lease_expires_at = NULL
    FROM job
    WHERE @concurrency_mode = 'supersede' AND o.job_type = @job_type AND o.concurrency_key = @concurrency_key
      AND o.status IN ('pending', 'running')
    RETURNING o.status)
SELECT id, pg_notify('agentfactory_jobs', ''),
       (SELECT count(*) FROM superseded) AS superseded,
       CASE WHEN EXISTS (SELECT 1 FROM superseded) THEN pg_notify('agentfactory_jobs', 'leases') END
FROM job;
