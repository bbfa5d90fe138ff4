SELECT * FROM webhook_events
WHERE (@event_type::text IS NULL OR event_type = @event_type)
  AND (@include_heartbeats OR event_type <> 'heartbeat')
  AND (@before_id::bigint IS NULL OR id < @before_id)
ORDER BY id DESC
LIMIT @limit;
