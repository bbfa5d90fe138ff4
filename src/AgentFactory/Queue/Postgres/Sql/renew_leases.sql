-- All of an instance's leases in one statement: each row is extended only while it still carries that
-- lease, and every lease comes back with what was found — held, cancelled by an operator, or lost
-- (rescued, claimed by another attempt, or deleted). The join reads the rows as they were before the update.
WITH l AS (
    SELECT * FROM unnest(@ids::bigint[], @owners::text[], @attempts::integer[]) AS l(id, owner, attempt)),
renewed AS (
    UPDATE agent_jobs j SET lease_expires_at = @lease_expires_at
    FROM l
    WHERE j.id = l.id AND j.status = 'running' AND j.lease_owner = l.owner AND j.attempt = l.attempt
    RETURNING j.id)
SELECT l.id,
       CASE WHEN r.id IS NOT NULL THEN 'held'
            WHEN j.status = 'cancelled' AND j.attempt = l.attempt THEN 'cancelled'
            ELSE 'lost' END
FROM l
LEFT JOIN renewed r ON r.id = l.id
LEFT JOIN agent_jobs j ON j.id = l.id;
