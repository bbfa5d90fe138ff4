UPDATE agent_budget_ledger SET input_tokens = @input_tokens, output_tokens = @output_tokens, usd = @usd, settled = 1
WHERE id = @id AND settled = 0;
