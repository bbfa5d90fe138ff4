INSERT INTO agent_jobs (job_type, payload, status, priority, max_attempts, created_at, scheduled_at, event_id)
VALUES (@job_type, @payload, 'pending', @priority, @max_attempts, @now, @scheduled_at, @event_id)
RETURNING id;
