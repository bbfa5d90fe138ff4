SELECT input_tokens, output_tokens, usd FROM agent_budget_ledger
WHERE repository = @repository AND day = @day AND (settled = 1 OR expires_at > @now);
