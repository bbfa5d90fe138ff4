SELECT * FROM agent_jobs
WHERE (@status::text IS NULL OR status = @status)
  AND (@job_type::text IS NULL OR job_type = @job_type)
  AND (@before_id::bigint IS NULL OR id < @before_id)
ORDER BY id DESC
LIMIT @limit;
