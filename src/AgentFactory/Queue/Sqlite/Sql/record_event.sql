-- A redelivery conflicts on (hook_id, delivery_id), a replay of the same body on body_sha256: either returns no row.
INSERT INTO webhook_events (delivery_id, hook_id, event_type, action, repository, received_at, payload, converted_to_job, body_sha256, trigger_refusal)
VALUES (@delivery_id, @hook_id, @event_type, @action, @repository, @now, @payload, @converted, @body_sha256, @trigger_refusal)
ON CONFLICT DO NOTHING
RETURNING id;
