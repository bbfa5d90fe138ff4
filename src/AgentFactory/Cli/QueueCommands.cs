using System.CommandLine;
using System.Text.Json;
using AgentFactory.Events;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Routing;

namespace AgentFactory.Cli;

/// <summary>trigger, jobs (list/show/retry/cancel/requeue), events: direct access to the queue database.</summary>
public static class QueueCommands
{
    private static JsonSerializerOptions Pretty => CliJson.Pretty;

    public static IEnumerable<Command> Create()
    {
        yield return Trigger();
        yield return Jobs();
        yield return Events();
    }

    private static Command Trigger()
    {
        var jobType = new Argument<string>("job_type") { Description = "The job type (default: manual).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "manual" };
        var payload = new Option<string>("--payload") { Description = "The job payload as JSON.", DefaultValueFactory = _ => "{}" };
        var priority = CliNumbers.WholeNumber("--priority", "Higher runs first (-1000 to 1000).", 0, -1000, 1000);
        var command = new Command("trigger", "Queue a job directly, like POST /webhook/manual.") { jobType, payload, priority };
        command.SetAction((parse, ct) => WithStore(async (store, routing) =>
        {
            var json = parse.GetValue(payload)!;
            try { using var _ = JsonDocument.Parse(json); }
            catch (JsonException e)
            {
                await Console.Error.WriteLineAsync($"--payload is not valid JSON: {e.Message}");
                return ExitCodes.Usage;
            }
            var type = parse.GetValue(jobType)!;
            if ((Ingest.ManualTrigger.ValidateJobType(type) ?? Ingest.ManualTrigger.ValidatePriority(parse.GetValue(priority))) is { } problem)
            {
                await Console.Error.WriteLineAsync(problem);
                return ExitCodes.Usage;
            }
            var settings = routing.SettingsFor(type);
            var result = await store.RecordDeliveryAsync(
                new NewWebhookEvent(Guid.NewGuid().ToString(), "manual", "manual", null, null, json),
                [settings.NewJob(type, json, parse.GetValue(priority))], ct);
            if (result.Refused is { } refused)
            {
                await Console.Error.WriteLineAsync($"--payload cannot be queued: {refused}");
                return ExitCodes.Usage;
            }
            Console.WriteLine($"Queued job {result.JobIds[0]} ({type}) for agent '{settings.Agent}'.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Jobs()
    {
        var jobs = new Command("jobs", "List, show, retry, cancel or requeue jobs.");

        var status = new Option<string?>("--status") { Description = "pending, running, completed, failed or cancelled." };
        var type = new Option<string?>("--type") { Description = "Only this job type." };
        var limit = CliNumbers.WholeNumber("--limit", "How many (newest first), 1 to 1000.", 20, 1, 1000);
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var list = new Command("list", "List jobs, newest first.") { status, type, limit, json };
        list.SetAction((parse, ct) => WithStore(async (store, _) =>
        {
            JobStatus? s = null;
            if (parse.GetValue(status) is { } raw)
            {
                if (!JobStatusNames.TryParse(raw, out var parsedStatus))
                {
                    await Console.Error.WriteLineAsync($"--status must be one of pending, running, completed, failed, cancelled (got '{raw}').");
                    return ExitCodes.Usage;
                }
                s = parsedStatus;
            }
            var rows = await store.ListJobsAsync(new JobQuery(s, parse.GetValue(type), parse.GetValue(limit)), ct);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(rows.Select(Summary), Pretty));
            else
            {
                Console.WriteLine($"{"ID",8}  {"STATUS",-10} {"TYPE",-22} {"PRI",4} {"TRY",5}  {"CREATED (UTC)",-19}  ERROR");
                foreach (var j in rows)
                    Console.WriteLine($"{j.Id,8}  {j.Status.ToDb(),-10} {Trim(j.JobType, 22),-22} {j.Priority,4} {j.Attempt + "/" + j.MaxAttempts,5}  {j.CreatedAt:yyyy-MM-dd HH:mm:ss}  {Trim(j.Error ?? "", 60)}");
            }
            return ExitCodes.Ok;
        }));
        jobs.Subcommands.Add(list);

        jobs.Subcommands.Add(JobShowCommand.Create());

        var retryId = CliNumbers.JobId("A failed or cancelled job.");
        var retry = new Command("retry", "Queue a failed or cancelled job again, with a fresh set of attempts.") { retryId };
        retry.SetAction((parse, ct) => WithStore(async (store, _) =>
        {
            var jobId = parse.GetValue(retryId);
            if (await store.RetryJobAsync(jobId, ct)) { Console.WriteLine($"Job {jobId} is pending again."); return ExitCodes.Ok; }
            return await NotInState(store, jobId, "failed or cancelled", ct);
        }));
        jobs.Subcommands.Add(retry);

        var cancelId = CliNumbers.JobId("A pending or running job.");
        var cancel = new Command("cancel", "Cancel a pending or running job (a running one stops at its next lease renewal).") { cancelId };
        cancel.SetAction((parse, ct) => WithStore(async (store, _) =>
        {
            var jobId = parse.GetValue(cancelId);
            if (await store.CancelJobAsync(jobId, ct)) { Console.WriteLine($"Job {jobId} is cancelled."); return ExitCodes.Ok; }
            return await NotInState(store, jobId, "pending or running", ct);
        }));
        jobs.Subcommands.Add(cancel);

        var requeueId = CliNumbers.JobId("A completed job.");
        var requeue = new Command("requeue", "Queue a completed job again as a new job with the same type and payload.") { requeueId };
        requeue.SetAction((parse, ct) => WithStore(async (store, _) =>
        {
            var jobId = parse.GetValue(requeueId);
            var (outcome, _, newId) = await Dashboard.JobActions.RequeueAsync(store, store, jobId, ct);
            if (outcome == Dashboard.JobActions.Outcome.Done) { Console.WriteLine($"Job {jobId} is queued again as job {newId}."); return ExitCodes.Ok; }
            return await NotInState(store, jobId, Dashboard.JobActions.RequeueFrom, ct);
        }));
        jobs.Subcommands.Add(requeue);
        return jobs;
    }

    private static Command Events()
    {
        var type = new Option<string?>("--type") { Description = "Only this event type (push, issues, heartbeat, manual, …)." };
        var limit = CliNumbers.WholeNumber("--limit", "How many (newest first), 1 to 1000.", 20, 1, 1000);
        var json = new Option<bool>("--json") { Description = "Print JSON (with payloads)." };
        var command = new Command("events", "List received webhook deliveries, newest first.") { type, limit, json };
        command.SetAction((parse, ct) => WithStore(async (store, _) =>
        {
            var rows = await store.ListEventsAsync(new EventQuery(parse.GetValue(type), parse.GetValue(limit)), ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(e => new
                {
                    e.Id, delivery_id = e.DeliveryId, hook_id = e.HookId, event_type = e.EventType, e.Action, e.Repository,
                    received_at = e.ReceivedAt, converted_to_job = e.ConvertedToJob, trigger_refusal = e.TriggerRefusal, payload = JsonDocument.Parse(e.Payload).RootElement,
                }), Pretty));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"{"ID",8}  {"RECEIVED (UTC)",-19}  {"EVENT",-14} {"ACTION",-12} {"JOB",-4} {"REPOSITORY",-30} DELIVERY");
            foreach (var e in rows)
            {
                Console.WriteLine($"{e.Id,8}  {e.ReceivedAt:yyyy-MM-dd HH:mm:ss}  {Trim(e.EventType, 14),-14} {Trim(e.Action ?? "", 12),-12} {(e.ConvertedToJob ? "yes" : "no"),-4} {Trim(e.Repository ?? "", 30),-30} {e.DeliveryId}");
                // Why the delivery's jobs were not created or not started (docs/security.md), under its row.
                foreach (var line in (e.TriggerRefusal ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    Console.WriteLine($"{"",8}  refused: {line}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static Task<int> WithStore(Func<IJobStore, RoutingConfig, Task<int>> body) => CliApp.Guard(async () =>
    {
        var options = CliApp.LoadSettings(createSecrets: false);
        if (options.DatabaseUrl is null && !File.Exists(options.SqlitePath))
        {
            await Console.Error.WriteLineAsync($"No queue database at {options.SqlitePath}. Run this from the service's working directory, set AGENTFACTORY_DATA_DIR, or start the service once (agentfactory serve / migrate).");
            return ExitCodes.Failure;
        }
        var (routing, _) = RoutingLoader.Load(options.RoutingFile);
        var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddSingleton<QueueSignal>().AddStore(options);
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IJobStore>();
        await store.MigrateAsync(CancellationToken.None);
        return await body(store, routing);
    });

    internal static async Task<int> NotFound(long id)
    {
        await Console.Error.WriteLineAsync($"No job {id}.");
        return ExitCodes.NotFound;
    }

    private static async Task<int> NotInState(IJobStore store, long id, string wanted, CancellationToken ct)
    {
        var job = await store.GetJobAsync(id, ct);
        if (job is null) return await NotFound(id);
        await Console.Error.WriteLineAsync($"Job {id} is {job.Status.ToDb()}; only {wanted} jobs can be changed this way.");
        return ExitCodes.NotFound;
    }

    private static string Trim(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static object Summary(JobRecord j) => new
    {
        j.Id, job_type = j.JobType, status = j.Status.ToDb(), j.Priority, j.Attempt, max_attempts = j.MaxAttempts,
        created_at = j.CreatedAt, started_at = j.StartedAt, completed_at = j.CompletedAt, j.Error,
    };

    internal static object Detail(JobRecord j) => new
    {
        j.Id, job_type = j.JobType, status = j.Status.ToDb(), j.Priority, j.Attempt, max_attempts = j.MaxAttempts,
        created_at = j.CreatedAt, scheduled_at = j.ScheduledAt, started_at = j.StartedAt, completed_at = j.CompletedAt,
        j.Error, errors = j.Errors, j.Output, lease_owner = j.LeaseOwner, lease_expires_at = j.LeaseExpiresAt, event_id = j.EventId,
        payload = JsonDocument.Parse(j.Payload).RootElement,
    };
}
