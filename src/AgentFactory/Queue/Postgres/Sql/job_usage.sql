SELECT count(*), count(*) FILTER (WHERE kind = 'model'), COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0), COALESCE(sum(cost_usd), 0)
FROM agent_job_steps
WHERE job_id = @job_id;
