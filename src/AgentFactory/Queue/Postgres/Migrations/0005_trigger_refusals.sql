-- Who may start agent work (issue 12 item 5): why a delivery's jobs were not created at ingest, or not
-- started when the orchestrator checked the sender, one line per refused job type. NULL: nothing refused.
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS trigger_refusal text;
