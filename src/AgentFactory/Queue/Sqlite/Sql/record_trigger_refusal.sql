-- A job the orchestrator refused to start: its reason joins the delivery's refusals (one line each).
-- The same line is not added twice (an attempt re-run after a lost lease refuses again).
UPDATE webhook_events
SET trigger_refusal = CASE
        WHEN trigger_refusal IS NULL OR trigger_refusal = '' THEN @refusal
        WHEN instr(char(10) || trigger_refusal || char(10), char(10) || @refusal || char(10)) > 0 THEN trigger_refusal
        ELSE trigger_refusal || char(10) || @refusal
    END
WHERE id = @id;
