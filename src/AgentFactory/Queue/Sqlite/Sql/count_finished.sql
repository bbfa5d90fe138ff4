-- Finished jobs per time bucket. Without ANALYZE statistics SQLite would pick the status index and read
-- every finished job ever; INDEXED BY keeps this a range read of the window (the status term matches
-- the partial index's WHERE, which INDEXED BY requires).
SELECT (CAST(strftime('%s', completed_at) AS INTEGER) - @since_epoch) / @bucket_seconds AS bucket,
       SUM(status = 'completed') AS completed,
       SUM(status = 'failed') AS failed
FROM agent_jobs INDEXED BY agent_jobs_finished
WHERE status IN ('completed', 'failed') AND completed_at >= @since
GROUP BY bucket
ORDER BY bucket;
