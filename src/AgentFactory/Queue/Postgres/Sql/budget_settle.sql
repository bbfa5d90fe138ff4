-- Once: a second settle of the same reservation changes nothing.
UPDATE agent_budget_ledger SET input_tokens = @input_tokens, output_tokens = @output_tokens, usd = @usd, settled = true
WHERE id = @id AND NOT settled;
