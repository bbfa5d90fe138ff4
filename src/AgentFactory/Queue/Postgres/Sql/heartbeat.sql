-- One row per instance, refreshed: the audit table does not grow with every tick.
INSERT INTO webhook_events (delivery_id, hook_id, event_type, received_at, payload, converted_to_job)
VALUES (@instance, 'heartbeat', 'heartbeat', @now, @payload, false)
ON CONFLICT (hook_id, delivery_id) DO UPDATE SET received_at = excluded.received_at, payload = excluded.payload;
