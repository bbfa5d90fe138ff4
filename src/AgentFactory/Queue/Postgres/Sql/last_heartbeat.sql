SELECT delivery_id, received_at, payload FROM webhook_events
WHERE event_type = 'heartbeat' ORDER BY received_at DESC LIMIT 1;
