using AgentFactory.Agents;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Orchestration;
using AgentFactory.Routing;

namespace AgentFactory.Notify;

/// <summary>
/// Tells the channels of jobs.&lt;type&gt;.notify when a job of that type ends as listed in
/// notifyOn. Built at start-up, so a channel named in the routing file but not configured stops
/// the service with the variables to set.
/// </summary>
public sealed class JobNotifier : IJobNotifier
{
    private readonly RoutingConfig _routing;
    private readonly Notifications _notifications;

    public JobNotifier(RoutingConfig routing, Notifications notifications)
    {
        _routing = routing;
        _notifications = notifications;
        var problems = routing.Jobs
            .Select(j => (j.Key, Problem: notifications.Check(j.Value.Notify)))
            .Where(p => p.Problem is not null)
            .Select(p => $"jobs.{p.Key}.notify {p.Problem}.")
            .ToList();
        if (problems.Count > 0) throw new SettingsException(string.Join(Environment.NewLine, problems));
    }

    public async Task JobEndedAsync(JobRecord job, JobEnding ending, CancellationToken ct)
    {
        var settings = _routing.SettingsFor(job.JobType);
        if (settings.Notify.Count == 0 || !settings.NotifyOn.Contains(ending.Status.ToDb())) return;
        await _notifications.SendAsync(settings.Notify, NoticeFor(job, ending), ct);
    }

    /// <summary>"Job 12 (github_push) completed" with what it was about and the output's tail.</summary>
    public static Notice NoticeFor(JobRecord job, JobEnding ending)
    {
        var agentJob = new AgentJob(job);
        var ok = ending.Status == JobStatus.Completed;
        var headline = ok
            ? $"Job {job.Id} ({job.JobType}) completed"
            : $"Job {job.Id} ({job.JobType}) failed after {job.Attempt} attempt{(job.Attempt == 1 ? "" : "s")}";
        var about = new List<string>();
        if (agentJob.PayloadString("repository.full_name") is { } repo) about.Add(repo);
        if (agentJob.PayloadString("release.tag_name") is { } tag) about.Add("release " + tag);
        else if (agentJob.PayloadString("issue.number") is { } issue) about.Add("issue #" + issue);
        else if (agentJob.PayloadString("pull_request.number") is { } pr) about.Add("pull request #" + pr);
        else if (agentJob.PayloadString("ref") is { } gitRef) about.Add(gitRef.Replace("refs/heads/", "", StringComparison.Ordinal));
        if (!ok && ending.Error is { } error) about.Add("error: " + error);
        return new Notice(ok, headline, about.Count > 0 ? string.Join(" · ", about) : null, Notice.Tail(ending.Output, 15));
    }
}
