SELECT * FROM agent_jobs WHERE id = @id;
