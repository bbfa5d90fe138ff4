-- @search: case-insensitive substring (strpos, so '%' and '_' are literal) of job type, error or payload.
SELECT * FROM agent_jobs
WHERE (@status::text IS NULL OR status = @status)
  AND (@job_type::text IS NULL OR job_type = @job_type)
  AND (@before_id::bigint IS NULL OR id < @before_id)
  AND (@search::text IS NULL
       OR strpos(lower(job_type), lower(@search)) > 0
       OR strpos(lower(COALESCE(error, '')), lower(@search)) > 0
       OR strpos(lower(payload::text), lower(@search)) > 0)
ORDER BY id DESC
LIMIT @limit;
