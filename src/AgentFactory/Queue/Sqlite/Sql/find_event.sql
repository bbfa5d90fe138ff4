-- The stored delivery a duplicate repeats: the same (hook, delivery) first, else the same body (whose
-- received_at tells whether it is still within the replay window).
SELECT id, received_at, (hook_id = @hook_id AND delivery_id = @delivery_id) AS same_delivery FROM webhook_events
WHERE (hook_id = @hook_id AND delivery_id = @delivery_id) OR body_sha256 = @body_sha256
ORDER BY same_delivery DESC, id LIMIT 1;
