-- Housekeeping, two statements in one transaction (the row count is their sum). Failed jobs stay
-- until someone retries or looks at them. A live instance refreshes its heartbeat row every tick, so
-- only heartbeats of instances gone for the whole retention are removed. An event
-- goes only when no remaining job points at it, so a job's origin is never lost while the job is.
DELETE FROM agent_jobs
WHERE status IN ('completed', 'cancelled') AND completed_at < @completed_before;
DELETE FROM webhook_events e
WHERE e.received_at < @events_before
  AND NOT EXISTS (SELECT 1 FROM agent_jobs j WHERE j.event_id = e.id);
