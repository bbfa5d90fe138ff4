UPDATE agent_jobs SET lease_expires_at = @lease_expires_at
WHERE id = @id AND status = 'running' AND lease_owner = @owner AND attempt = @attempt;
