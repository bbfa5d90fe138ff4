-- All of an instance's leases in one statement (@leases is a JSON array of {id, owner, attempt}): each row
-- is extended only while it still carries that lease. lease_states.sql then reads what each lease found.
UPDATE agent_jobs SET lease_expires_at = @lease_expires_at
WHERE status = 'running'
  AND EXISTS (SELECT 1 FROM json_each(@leases) l
              WHERE l.value ->> 'id' = agent_jobs.id
                AND l.value ->> 'owner' = agent_jobs.lease_owner
                AND l.value ->> 'attempt' = agent_jobs.attempt);
