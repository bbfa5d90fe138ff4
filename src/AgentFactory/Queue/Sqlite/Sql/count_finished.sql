-- Finished jobs per time bucket. The status term repeats the partial index's WHERE so SQLite uses it.
SELECT (CAST(strftime('%s', completed_at) AS INTEGER) - @since_epoch) / @bucket_seconds AS bucket,
       SUM(status = 'completed') AS completed,
       SUM(status = 'failed') AS failed
FROM agent_jobs
WHERE status IN ('completed', 'failed') AND completed_at >= @since
GROUP BY bucket
ORDER BY bucket;
