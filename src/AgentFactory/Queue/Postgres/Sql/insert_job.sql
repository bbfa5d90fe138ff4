-- The NOTIFY is transactional: listeners hear it only when the job is committed, and the
-- notifications of one transaction (several jobs of a delivery) collapse into one.
WITH job AS (
    INSERT INTO agent_jobs (job_type, payload, status, priority, max_attempts, created_at, scheduled_at, event_id)
    VALUES (@job_type, @payload, 'pending', @priority, @max_attempts, @now, @scheduled_at, @event_id)
    RETURNING id)
SELECT id, pg_notify('agentfactory_jobs', '') FROM job;
