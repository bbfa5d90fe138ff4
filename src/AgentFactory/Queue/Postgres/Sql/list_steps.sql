SELECT job_id, idx, attempt, at, kind, name, input, output, is_error, duration_ms, input_tokens, output_tokens, cost_usd, call_id
FROM agent_job_steps
WHERE job_id = @job_id AND idx > @after
ORDER BY idx
LIMIT @limit;
