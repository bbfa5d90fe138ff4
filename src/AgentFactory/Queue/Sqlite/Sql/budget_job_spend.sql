-- usd is decimal text: it is summed by the service.
SELECT input_tokens, output_tokens, usd FROM agent_budget_ledger
WHERE job_id = @job_id AND (settled = 1 OR expires_at > @now);
