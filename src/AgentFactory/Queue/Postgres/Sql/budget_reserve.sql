INSERT INTO agent_budget_ledger (id, job_id, repository, day, input_tokens, output_tokens, usd, settled, expires_at)
VALUES (@id, @job_id, @repository, @day, @input_tokens, @output_tokens, @usd, false, @expires_at);
