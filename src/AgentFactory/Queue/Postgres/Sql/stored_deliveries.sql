-- @delivery_ids: X-GitHub-Delivery GUIDs; @hook_id NULL matches any hook.
SELECT DISTINCT delivery_id FROM webhook_events
WHERE delivery_id = ANY(@delivery_ids)
  AND (@hook_id::text IS NULL OR hook_id = @hook_id OR hook_id = '');
