-- Housekeeping, two statements in one transaction (the row count is their sum). Failed jobs stay
-- until someone retries or looks at them; heartbeat rows are refreshed, never pruned. An event
-- goes only when no remaining job points at it, so a job's origin is never lost while the job is.
DELETE FROM agent_jobs
WHERE status IN ('completed', 'cancelled') AND completed_at < @completed_before;
DELETE FROM webhook_events
WHERE received_at < @events_before
  AND event_type <> 'heartbeat'
  AND NOT EXISTS (SELECT 1 FROM agent_jobs j WHERE j.event_id = webhook_events.id);
