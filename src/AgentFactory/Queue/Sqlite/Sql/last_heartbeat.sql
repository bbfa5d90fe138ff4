SELECT delivery_id, received_at, payload FROM webhook_events
-- hook_id too: ingest takes only numeric hook ids, so no delivery can pass for an orchestrator's row.
WHERE event_type = 'heartbeat' AND hook_id = 'heartbeat' ORDER BY received_at DESC LIMIT 1;
