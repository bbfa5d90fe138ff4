-- cost_usd is decimal text: it is summed by the service.
SELECT kind, input_tokens, output_tokens, cost_usd FROM agent_job_steps WHERE job_id = @job_id;
