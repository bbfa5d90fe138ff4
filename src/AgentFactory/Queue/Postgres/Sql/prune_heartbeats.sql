-- Rows of instances that died without a clean stop (not refreshed for HeartbeatRetention).
DELETE FROM webhook_events
WHERE event_type = 'heartbeat' AND hook_id = 'heartbeat' AND received_at < @before;
