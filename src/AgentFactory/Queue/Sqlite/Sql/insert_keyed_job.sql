-- A job with a concurrency key. Skip mode: while a job with the same type and key is pending, the new
-- one is recorded cancelled with the reason instead of queued (the caller still gets its id).
INSERT INTO agent_jobs (job_type, payload, status, priority, max_attempts, created_at, scheduled_at, event_id,
                        concurrency_key, concurrency_mode, completed_at, error)
SELECT @job_type, @payload,
       CASE WHEN w.id IS NULL THEN 'pending' ELSE 'cancelled' END,
       @priority, @max_attempts, @now, @scheduled_at, @event_id, @concurrency_key, @concurrency_mode,
       CASE WHEN w.id IS NULL THEN NULL ELSE @now END,
       CASE WHEN w.id IS NULL THEN NULL ELSE 'skipped: job ' || w.id || ' with the same concurrency key is pending' END
FROM (SELECT min(id) AS id FROM agent_jobs
      WHERE @concurrency_mode = 'skip' AND job_type = @job_type AND concurrency_key = @concurrency_key
        AND status = 'pending') w
RETURNING id;
