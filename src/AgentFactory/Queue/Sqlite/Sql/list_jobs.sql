SELECT * FROM agent_jobs
WHERE (@status IS NULL OR status = @status)
  AND (@job_type IS NULL OR job_type = @job_type)
  AND (@before_id IS NULL OR id < @before_id)
ORDER BY id DESC
LIMIT @limit;
