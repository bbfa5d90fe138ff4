-- The newest heartbeat an orchestrator wrote. hook_id 'heartbeat' too: ingest takes only numeric hook ids
-- and refuses the event name heartbeat, so no delivery can pass for an orchestrator's row.
SELECT delivery_id, received_at, payload FROM webhook_events
WHERE event_type = 'heartbeat' AND hook_id = 'heartbeat' ORDER BY received_at DESC LIMIT 1;
