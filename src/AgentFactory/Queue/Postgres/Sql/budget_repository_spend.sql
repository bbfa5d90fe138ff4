SELECT count(*), COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0), COALESCE(sum(usd), 0)
FROM agent_budget_ledger
WHERE repository = @repository AND day = @day AND (settled OR expires_at > @now);
