-- @event_ids: a JSON array of event ids.
SELECT event_id, id FROM agent_jobs
WHERE event_id IN (SELECT value FROM json_each(@event_ids))
ORDER BY event_id, id;
