-- Settled calls and reservations still alive (their process may still be calling the model).
SELECT count(*), COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0), COALESCE(sum(usd), 0)
FROM agent_budget_ledger
WHERE job_id = @job_id AND (settled OR expires_at > @now);
