-- The newest heartbeat an orchestrator wrote (hook_id 'heartbeat': never a delivery named so).
SELECT delivery_id, received_at, payload FROM webhook_events
WHERE event_type = 'heartbeat' AND hook_id = 'heartbeat' ORDER BY received_at DESC LIMIT 1;
