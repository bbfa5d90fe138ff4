SELECT * FROM webhook_events
WHERE (@event_type IS NULL OR event_type = @event_type)
  AND (@include_heartbeats = 1 OR event_type <> 'heartbeat')
  AND (@before_id IS NULL OR id < @before_id)
ORDER BY id DESC
LIMIT @limit;
