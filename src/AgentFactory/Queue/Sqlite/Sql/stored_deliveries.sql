-- @delivery_ids: a JSON array of X-GitHub-Delivery GUIDs; @hook_id NULL matches any hook.
SELECT DISTINCT delivery_id FROM webhook_events
WHERE delivery_id IN (SELECT value FROM json_each(@delivery_ids))
  AND (@hook_id IS NULL OR hook_id = @hook_id OR hook_id = '');
