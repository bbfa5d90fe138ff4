SELECT job_type, status, COUNT(*) FROM agent_jobs GROUP BY job_type, status ORDER BY job_type, status;
