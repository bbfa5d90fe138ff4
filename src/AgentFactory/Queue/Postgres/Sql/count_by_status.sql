SELECT status, COUNT(*) FROM agent_jobs GROUP BY status;
