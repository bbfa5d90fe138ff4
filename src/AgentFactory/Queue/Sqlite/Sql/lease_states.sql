-- What each lease of @leases found, in the renewal's own transaction: held (its row still carries it),
-- cancelled by an operator, or lost (rescued, claimed by another attempt, or deleted).
SELECT l.value ->> 'id',
       CASE WHEN j.status = 'running' AND j.lease_owner = l.value ->> 'owner' AND j.attempt = l.value ->> 'attempt' THEN 'held'
            WHEN j.status = 'cancelled' AND j.attempt = l.value ->> 'attempt' THEN 'cancelled'
            ELSE 'lost' END
FROM json_each(@leases) l
LEFT JOIN agent_jobs j ON j.id = l.value ->> 'id';
