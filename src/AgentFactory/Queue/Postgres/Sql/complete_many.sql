-- Completions of concurrent callers coalesced into one statement; the returned ids are the
-- completions whose lease was still held (the others were rescued, cancelled or retried).
UPDATE agent_jobs j
SET status = 'completed', completed_at = @now, output = c.output, error = NULL,
    lease_owner = NULL, lease_expires_at = NULL
FROM unnest(@ids::bigint[], @owners::text[], @attempts::integer[], @outputs::text[]) AS c(id, owner, attempt, output)
WHERE j.id = c.id AND j.status = 'running' AND j.lease_owner = c.owner AND j.attempt = c.attempt
RETURNING j.id;
