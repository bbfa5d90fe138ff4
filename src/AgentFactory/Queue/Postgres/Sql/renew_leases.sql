-- All of an instance's leases in one statement; each row only while it still carries that lease.
UPDATE agent_jobs j SET lease_expires_at = @lease_expires_at
FROM unnest(@ids::bigint[], @owners::text[], @attempts::integer[]) AS l(id, owner, attempt)
WHERE j.id = l.id AND j.status = 'running' AND j.lease_owner = l.owner AND j.attempt = l.attempt
RETURNING j.id;
