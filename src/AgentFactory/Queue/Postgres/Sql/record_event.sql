-- A redelivery conflicts on (hook_id, delivery_id) and returns no row. A concurrent insert of the
-- same delivery waits here for the other transaction, then returns no row once it commits.
INSERT INTO webhook_events (delivery_id, hook_id, event_type, action, repository, received_at, payload, converted_to_job)
VALUES (@delivery_id, @hook_id, @event_type, @action, @repository, @now, @payload, @converted)
ON CONFLICT (hook_id, delivery_id) DO NOTHING
RETURNING id;
