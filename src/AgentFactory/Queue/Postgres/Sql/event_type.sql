SELECT event_type FROM webhook_events WHERE id = @id;
