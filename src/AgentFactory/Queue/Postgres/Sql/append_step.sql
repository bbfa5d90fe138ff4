-- A step is written only while the attempt still holds the job (the lease fence); the job row's lock
-- serializes appends of one job, so the next index is max + 1.
WITH j AS (
    SELECT id FROM agent_jobs
    WHERE id = @id AND status = 'running' AND lease_owner = @owner AND attempt = @attempt
    FOR UPDATE)
INSERT INTO agent_job_steps (job_id, idx, attempt, at, kind, name, input, output, is_error, duration_ms, input_tokens, output_tokens, cost_usd, call_id)
SELECT j.id, COALESCE((SELECT max(s.idx) FROM agent_job_steps s WHERE s.job_id = j.id), 0) + 1, @attempt, @now,
       @kind, @name, @input, @output, @is_error, @duration_ms, @input_tokens, @output_tokens, @cost_usd, @call_id
FROM j
RETURNING idx;
