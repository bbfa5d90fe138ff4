-- Finished jobs per time bucket, read through the agent_jobs_finished partial index.
SELECT floor(extract(epoch FROM (completed_at - @since)) / @bucket_seconds)::bigint AS bucket,
       COUNT(*) FILTER (WHERE status = 'completed') AS completed,
       COUNT(*) FILTER (WHERE status = 'failed') AS failed
FROM agent_jobs
WHERE status IN ('completed', 'failed') AND completed_at >= @since
GROUP BY bucket
ORDER BY bucket;
