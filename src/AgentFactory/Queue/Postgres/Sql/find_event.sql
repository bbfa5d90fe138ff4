SELECT id FROM webhook_events WHERE hook_id = @hook_id AND delivery_id = @delivery_id;
