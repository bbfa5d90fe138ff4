-- Runs in the store's write transaction (one writer), so max + 1 cannot race. Fenced on the lease.
INSERT INTO agent_job_steps (job_id, idx, attempt, at, kind, name, input, output, is_error, duration_ms, input_tokens, output_tokens, cost_usd, call_id)
SELECT j.id, COALESCE((SELECT max(s.idx) FROM agent_job_steps s WHERE s.job_id = j.id), 0) + 1, @attempt, @now,
       @kind, @name, @input, @output, @is_error, @duration_ms, @input_tokens, @output_tokens, @cost_usd, @call_id
FROM agent_jobs j
WHERE j.id = @id AND j.status = 'running' AND j.lease_owner = @owner AND j.attempt = @attempt
RETURNING idx;
