-- @search: case-insensitive (ASCII, as SQLite lower() is) substring (instr, so '%' and '_' are literal) of job type, error or payload.
SELECT * FROM agent_jobs
WHERE (@status IS NULL OR status = @status)
  AND (@job_type IS NULL OR job_type = @job_type)
  AND (@before_id IS NULL OR id < @before_id)
  AND (@search IS NULL
       OR instr(lower(job_type), lower(@search)) > 0
       OR instr(lower(COALESCE(error, '')), lower(@search)) > 0
       OR instr(lower(payload), lower(@search)) > 0)
ORDER BY id DESC
LIMIT @limit;
