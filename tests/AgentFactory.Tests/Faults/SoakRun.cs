using System.Diagnostics;
using System.Globalization;
using AgentFactory.Tests.Sandbox;

namespace AgentFactory.Tests.Faults;

/// <summary>What one SIGKILL found: the jobs the dead process held, its agents, and what it left behind.</summary>
public sealed record KillRecord(int Life, int AgentsAtKill, IReadOnlyList<long> InFlight, IReadOnlyList<string> Orphans,
    int WorktreesLeft, int WorktreesNotSwept, int ScratchLeft, double SecondsToListen);

/// <summary>
/// Drives one soak: the real `agentfactory serve` process under the trickle for the whole duration,
/// SIGKILLed and restarted at the scheduled moments (each time while agents run), sampled every
/// interval; then the trickle stops, what got no 2xx is redelivered, the queue drains, git sync
/// catches up, and the last process is stopped with SIGTERM.
/// </summary>
public sealed class SoakRun(SoakWorld world, Dictionary<string, string> env, SoakDatabase db)
{
    public List<KillRecord> Kills { get; } = [];
    public List<ResourceSample> Samples { get; } = [];
    public List<string> Alarms { get; } = [];
    public HashSet<long> InFlightAtKills { get; } = [];
    public List<string> Crashes { get; } = [];
    public SoakTraffic Traffic { get; } = new();
    public int Lives { get; private set; }
    public int? FinalExitCode { get; private set; }
    public IReadOnlyList<string> OrphansAtEnd { get; private set; } = [];
    public TimeSpan FinalLifeStart { get; private set; }
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Soak length: AF_SOAK_MINUTES, else 75 s in `dotnet test` and one hour under AF_FAULTS_FULL=1.</summary>
    public static TimeSpan Duration => Environment.GetEnvironmentVariable("AF_SOAK_MINUTES") is { Length: > 0 } minutes
        ? TimeSpan.FromMinutes(double.Parse(minutes, CultureInfo.InvariantCulture))
        : FaultScale.Pick(TimeSpan.FromSeconds(75), TimeSpan.FromHours(1));

    /// <summary>One SIGKILL about every two minutes during the first 40 % (at least 2); the last 60 % is one process life, for the trend.</summary>
    public static int KillCount => Math.Clamp((int)Math.Round(Duration.TotalMinutes * 0.4 / 2), 2, 30);

    public async Task RunAsync()
    {
        var duration = Duration;
        var killAt = Enumerable.Range(1, KillCount).Select(k => duration * 0.4 * k / KillCount).ToList();
        var sampleEvery = TimeSpan.FromSeconds(duration > TimeSpan.FromMinutes(10) ? 5 : 1);
        var clock = Stopwatch.StartNew();
        var service = await StartAsync();
        using var stop = new CancellationTokenSource();
        var trickle = Traffic.RunAsync(TimeSpan.FromMilliseconds(500), stop.Token);
        var pusher = PushCommitsAsync(stop.Token);
        try
        {
            while (clock.Elapsed < duration)
            {
                await Task.Delay(sampleEvery);
                if (service.HasExited) Crash(service);
                if (ResourceTrend.Sample(service, Lives, clock.Elapsed) is { } sample) Samples.Add(sample);
                if (Kills.Count < killAt.Count && clock.Elapsed >= killAt[Kills.Count])
                {
                    service = await KillAndRestartAsync(service);
                    if (Kills.Count == killAt.Count) FinalLifeStart = clock.Elapsed;
                }
            }

            await stop.CancelAsync();
            await Task.WhenAll(trickle, pusher);
            await Traffic.RedeliverRestAsync(service.Url!, TimeSpan.FromMinutes(2));
            await FaultScale.Until(async () => await db.UnfinishedAsync() == 0, "every job to finish", () => service.Output, TimeSpan.FromMinutes(3));
            var head = world.OriginHead();
            await FaultScale.Until(() => Task.FromResult(world.SyncClone.Head() == head), "git sync to pull the last upstream commit", () => service.Output, TimeSpan.FromSeconds(60));
            if (service.HasExited) Crash(service);
            Elapsed = clock.Elapsed;
            Alarms.AddRange(service.Alarms);
            FinalExitCode = await service.TerminateAsync(TimeSpan.FromSeconds(60));
            OrphansAtEnd = await OrphansAsync();
        }
        finally
        {
            await stop.CancelAsync();
            service.Dispose();
            Traffic.Dispose();
        }
    }

    private async Task<ServiceProcess> StartAsync()
    {
        Lives++;
        var service = ServiceProcess.Start(world.Dir.Path, $"soak-{Lives}", env, "serve");
        await service.WaitListeningAsync();
        Traffic.Target = service.Url;
        return service;
    }

    private async Task<ServiceProcess> KillAndRestartAsync(ServiceProcess service)
    {
        // Aim at a moment agents are running, so the kill has processes to orphan; every other kill at a
        // deploy holding its worktree, so it has one to leave.
        var aim = Stopwatch.StartNew();
        bool Aimed() => HostScan.With(world.Marker).Count > 0 && (Kills.Count % 2 == 1 || world.Worktrees().Count > 0);
        while (!Aimed() && !service.HasExited && aim.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(10);
        if (service.HasExited) Crash(service);
        var agents = HostScan.With(world.Marker).Count;
        Alarms.AddRange(service.Alarms);
        service.Kill();
        var inFlight = await db.RunningOfAsync(service.Name); // nothing changes these rows until the leases expire
        InFlightAtKills.UnionWith(inFlight);
        var orphans = await OrphansAsync();
        var worktrees = world.Worktrees();
        var scratch = world.ScratchDirectories().Count;
        service.Dispose();

        var restart = Stopwatch.StartNew();
        var next = await StartAsync();
        var listening = restart.Elapsed.TotalSeconds;
        // The new process sweeps the worktrees the dead one left before it claims a job.
        var notSwept = 0;
        try { await FaultScale.Until(() => Task.FromResult(!worktrees.Any(Directory.Exists)), "the dead process's worktrees to be swept", within: TimeSpan.FromSeconds(30)); }
        catch (Xunit.Sdk.FailException) { notSwept = worktrees.Count(Directory.Exists); }
        Kills.Add(new KillRecord(Lives - 1, agents, inFlight, orphans, worktrees.Count, notSwept, scratch, listening));
        return next;
    }

    /// <summary>Agent processes still alive 10 s after their service died (then killed, so each kill is counted alone).</summary>
    private async Task<IReadOnlyList<string>> OrphansAsync()
    {
        if (await HostScan.GoneAsync(world.Marker, TimeSpan.FromSeconds(10))) return [];
        var left = new List<string>();
        foreach (var pid in HostScan.With(world.Marker))
        {
            try
            {
                left.Add($"{pid}: {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()}");
                Process.GetProcessById(pid).Kill();
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException) { }
        }
        return left;
    }

    private async Task PushCommitsAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(5), stop); } catch (OperationCanceledException) { return; }
            await Task.Run(world.PushCommit, CancellationToken.None);
        }
    }

    private void Crash(ServiceProcess service)
    {
        Crashes.Add($"{service.Name} exited by itself with code {service.ExitCode}");
        Assert.Fail($"{service.Name} exited by itself with code {service.ExitCode}.\n{service.Output}");
    }
}
