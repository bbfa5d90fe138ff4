SELECT event_id, id FROM agent_jobs WHERE event_id = ANY(@event_ids) ORDER BY event_id, id;
