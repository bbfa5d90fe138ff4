-- A job the orchestrator refused to start: its reason joins the delivery's refusals (one line each).
-- The same line is not added twice (an attempt re-run after a lost lease refuses again).
UPDATE webhook_events
SET trigger_refusal = CASE
        WHEN trigger_refusal IS NULL OR trigger_refusal = '' THEN @refusal
        WHEN position(E'\n' || @refusal || E'\n' IN E'\n' || trigger_refusal || E'\n') > 0 THEN trigger_refusal
        ELSE trigger_refusal || E'\n' || @refusal
    END
WHERE id = @id;
