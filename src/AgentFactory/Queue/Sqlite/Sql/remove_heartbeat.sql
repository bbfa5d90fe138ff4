-- A clean stop: this instance's row goes, so every reader says "stopped" at once.
DELETE FROM webhook_events
WHERE event_type = 'heartbeat' AND hook_id = 'heartbeat' AND delivery_id = @instance;
