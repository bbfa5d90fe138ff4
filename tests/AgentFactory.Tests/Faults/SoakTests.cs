using System.Globalization;
using AgentFactory.Tests.Postgres;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Scenario 6, the soak (issue 10): the real service on each store with git sync on at a 1 s tick, a
/// trickle of signed deliveries and manual jobs, agents that succeed, fail and time out, and SIGKILLs
/// with restarts. Attack: everything a long-running installation meets at once, so that an idle crash
/// (a timer callback on a disposed source), agents orphaned by a kill, worktrees left on disk, or a
/// slow leak of memory or descriptors shows up here rather than in production. It proves: no crash of
/// its own, every acknowledged delivery stored once with exactly its jobs, every job finished, no
/// attempt run twice and a job re-run only if it was running at a kill, no orphan and no leftover
/// worktree, RSS and open descriptors flat over the last process life.
/// `dotnet test`: 75 s per store; bench/faults.sh (AF_FAULTS_FULL=1): one hour; AF_SOAK_MINUTES overrides both.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class SoakTests
{
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["soak_push"] = "completed", ["soak_release"] = "completed", ["soak_audit"] = "completed",
        ["soak_ok"] = "completed", ["soak_fail"] = "failed", ["soak_timeout"] = "failed",
    };

    [Fact]
    public async Task Sqlite_service_soaked_with_git_sync_kills_and_misbehaving_agents_stays_up_exact_and_flat()
    {
        using var world = new SoakWorld();
        await SoakAsync("sqlite", world, world.Env(null), new SoakDatabase(null, Path.Combine(world.DataDir, "agentfactory.db")));
    }

    [PostgresFact]
    public async Task Postgres_service_soaked_with_git_sync_kills_and_misbehaving_agents_stays_up_exact_and_flat()
    {
        await using var pg = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var world = new SoakWorld();
        await SoakAsync("postgresql", world, world.Env(pg.ConnectionString), new SoakDatabase(pg.ConnectionString, null));
    }

    private static async Task SoakAsync(string store, SoakWorld world, Dictionary<string, string> env, SoakDatabase db)
    {
        var run = new SoakRun(world, env, db);
        await run.RunAsync();

        var traffic = run.Traffic;
        var jobs = await db.JobsAsync();
        var events = await db.EventsPerDeliveryAsync();
        var runs = RunRecord.Read(world.RunsFile);

        // Deliveries: each stored once, with exactly its two jobs.
        var notAcked = traffic.Deliveries.Keys.Where(id => traffic.LastStatus[id] is not (>= 200 and < 300)).ToList();
        var lost = traffic.Deliveries.Keys.Where(id => !events.ContainsKey(id)).ToList();
        var storedTwice = events.Where(e => e.Value > 1).Select(e => e.Key).ToList();
        var strangers = events.Keys.Where(id => !traffic.Deliveries.ContainsKey(id)).ToList();
        var jobsOf = jobs.Where(j => j.DeliveryId is not null && j.EventType is "push" or "release").ToLookup(j => j.DeliveryId!);
        var wrongJobs = traffic.Deliveries.Where(d => !jobsOf[d.Key].Select(j => j.JobType).Order().SequenceEqual(new[] { "soak_audit", "soak_" + d.Value }.Order())).Select(d => d.Key).ToList();
        var byId = jobs.ToDictionary(j => j.Id);
        var manualMissing = traffic.ManualJobs.Where(m => !byId.TryGetValue(m.Key, out var j) || j.JobType != m.Value).Select(m => m.Key).ToList();
        var manualStored = jobs.Count(j => j.EventType == "manual");

        // Jobs: each finished as its agent makes it; a process ran for every completed one, each attempt once.
        var wrongEnd = jobs.Where(j => Expected.GetValueOrDefault(j.JobType) != j.Status).Select(j => $"{j.Id} {j.JobType} {j.Status} ({j.Error})").ToList();
        var done = runs.Done();
        var started = runs.HighestStarted();
        var withProcess = jobs.Where(j => j.JobType is "soak_push" or "soak_release" or "soak_ok").ToList();
        var neverRan = withProcess.Where(j => !done.ContainsKey(j.Id)).Select(j => j.Id).ToList();
        var reruns = withProcess.Where(j => done.GetValueOrDefault(j.Id) > 1).Select(j => j.Id).ToList();
        var rerunsNotInFlight = reruns.Where(id => !run.InFlightAtKills.Contains(id)).ToList();
        var twice = runs.AttemptsStartedTwice();
        var beyondAttempt = jobs.Where(j => started.GetValueOrDefault(j.Id) > j.Attempt).Select(j => j.Id).ToList();

        var unhandled = run.Alarms.Where(a => a.Contains("Unhandled exception", StringComparison.Ordinal) || a.Contains(" crit: ", StringComparison.Ordinal)).ToList();
        var orphans = run.Kills.Sum(k => k.Orphans.Count) + run.OrphansAtEnd.Count;
        var final = run.Samples.Where(s => s.Life == run.Lives && s.At >= run.FinalLifeStart + (run.Elapsed - run.FinalLifeStart) * 0.2).ToList();
        var (rssFirst, rssLast, fdFirst, fdLast) = ResourceTrend.Thirds(final);
        var (worktreesLeft, registered, scratchLeft) = (world.Worktrees().Count, world.RegisteredWorktrees(), world.ScratchDirectories().Count);
        string F(double v) => v.ToString("0", CultureInfo.InvariantCulture);

        FaultScale.Report($"6. soak ({store}, git sync on, 1 s tick)",
            $"{run.Elapsed.TotalMinutes:0.0} min, {run.Kills.Count} SIGKILLs and restarts (each while {string.Join("/", run.Kills.Select(k => k.AgentsAtKill))} agent processes ran, holding {string.Join("/", run.Kills.Select(k => k.InFlight.Count))} leases; back listening in {string.Join("/", run.Kills.Select(k => k.SecondsToListen.ToString("0.0", CultureInfo.InvariantCulture)))} s); " +
            $"crashes {run.Crashes.Count}, 'Unhandled exception'/crit lines {unhandled.Count}, error lines {run.Alarms.Count - unhandled.Count}, final SIGTERM exit code {run.FinalExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none (hung)"}; " +
            $"{traffic.Deliveries.Count} signed deliveries ({traffic.Deliveries.Values.Count(v => v == "push")} push, {traffic.Deliveries.Values.Count(v => v == "release")} release; {traffic.Redelivered} redeliveries of ones that got no 2xx), answers {traffic.Summary()}; " +
            $"{traffic.ManualJobs.Count} manual jobs acknowledged ({traffic.ManualInDoubt} triggers got no answer, {manualStored - traffic.ManualJobs.Count} of them stored); " +
            $"{jobs.Count} jobs ({string.Join(", ", jobs.GroupBy(j => $"{j.JobType} {j.Status}").OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))}); " +
            $"exactly-once: {lost.Count} acknowledged deliveries lost, {storedTwice.Count} stored twice, {wrongJobs.Count} without exactly their jobs, {neverRan.Count} completed jobs whose agent never finished, {twice.Count} attempts run twice, " +
            $"{reruns.Count} jobs re-run after a kill ({rerunsNotInFlight.Count} not in flight at a kill; {run.InFlightAtKills.Count} were); " +
            $"orphan agent processes {orphans} (after each kill: {string.Join("/", run.Kills.Select(k => k.Orphans.Count))}, at the end: {run.OrphansAtEnd.Count}); " +
            $"worktrees left by the kills {string.Join("/", run.Kills.Select(k => k.WorktreesLeft))}, not swept by the restart {run.Kills.Sum(k => k.WorktreesNotSwept)}; at the end {worktreesLeft} on disk, {registered} in git worktree list, {scratchLeft} scratch directories; " +
            $"RSS {F(rssFirst)} MB → {F(rssLast)} MB, open FDs (median) {fdFirst} → {fdLast}, peak {run.Samples.Where(x => x.Life == run.Lives).Max(x => x.Fds)} (RSS mean, first vs last third of the final {(run.Elapsed - run.FinalLifeStart).TotalMinutes:0.0} min life, {final.Count} samples after warm-up; peak RSS {F(run.Samples.Max(s => s.RssMb))} MB over all lives); " +
            $"git sync: {world.CommitsPushed} upstream commits pulled, clone at origin's head");

        Assert.Empty(run.Crashes);
        Assert.Empty(unhandled);
        Assert.Equal(0, run.FinalExitCode);
        Assert.Empty(notAcked);
        Assert.Empty(lost);
        Assert.Empty(storedTwice);
        Assert.Empty(strangers);
        Assert.Empty(wrongJobs);
        Assert.Empty(manualMissing);
        Assert.True(manualStored - traffic.ManualJobs.Count <= traffic.ManualInDoubt, "a manual job appeared that no trigger asked for");
        Assert.Empty(wrongEnd);
        Assert.Empty(neverRan);
        Assert.Empty(twice);
        Assert.Empty(beyondAttempt);
        Assert.Empty(rerunsNotInFlight); // the at-least-once window: only a job running at a kill may run again
        Assert.True(orphans == 0, $"agent processes alive 10 s after their service died: {string.Join(" | ", run.Kills.SelectMany(k => k.Orphans).Concat(run.OrphansAtEnd))}");
        Assert.Equal(0, run.Kills.Sum(k => k.WorktreesNotSwept));
        Assert.Equal(0, worktreesLeft);
        Assert.Equal(0, registered);
        Assert.Equal(0, scratchLeft);
        Assert.True(final.Count >= 6, $"only {final.Count} samples in the final life");
        // Flat: a leak of even one descriptor or a few KB per job would grow with the thousands of jobs
        // (before the fix in ProcessLauncher, two pipes per program stayed open until the next GC).
        Assert.True(rssLast <= rssFirst * 1.25 + 16, $"RSS grew from {F(rssFirst)} MB to {F(rssLast)} MB over the final life");
        Assert.True(fdLast <= fdFirst + 10, $"open file descriptors grew from {fdFirst} to {fdLast} over the final life");
    }
}
