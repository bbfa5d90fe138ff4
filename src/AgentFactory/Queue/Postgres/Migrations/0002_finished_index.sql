-- Throughput over time (dashboard, `agentfactory stats`) reads finished jobs by completed_at.
CREATE INDEX IF NOT EXISTS agent_jobs_finished ON agent_jobs (completed_at) WHERE status IN ('completed', 'failed');
