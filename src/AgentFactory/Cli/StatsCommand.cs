using System.CommandLine;
using System.Text.Json;
using AgentFactory.Dashboard;

namespace AgentFactory.Cli;

/// <summary>`agentfactory stats`: the dashboard's numbers in a terminal (or as the same JSON as GET /api/stats).</summary>
public static class StatsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the JSON of GET /api/stats." };
        var command = new Command("stats", "Queue depth by status and job type, throughput over the last hour and 24 h, and the orchestrators' last heartbeats.") { json };
        command.SetAction((parse, ct) => QueueCommands.WithStore(async (store, _) =>
        {
            var stats = await new QueueStats(store, CliApp.LoadSettings(createSecrets: false), TimeProvider.System).GetAsync(ct);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(stats, CliJson.Api));
            else Print(stats);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(StatsSnapshot stats)
    {
        var statuses = stats.ByStatus.Keys.ToList();
        Console.WriteLine("Jobs by status");
        foreach (var (status, count) in stats.ByStatus) Console.WriteLine($"  {status,-10} {count,8}");

        Console.WriteLine();
        Console.WriteLine($"{"Jobs by type",-24}" + string.Concat(statuses.Select(s => $" {s,10}")));
        if (stats.ByType.Count == 0) Console.WriteLine("  (no jobs)");
        foreach (var type in stats.ByType)
            Console.WriteLine($"  {Trim(type.JobType, 22),-22}" + string.Concat(statuses.Select(s => $" {type.ByStatus[s],10}")));

        Console.WriteLine();
        Console.WriteLine($"{"Throughput",-24} {"completed",10} {"failed",10} {"failure rate",13}");
        foreach (var (name, series) in new[] { ("last hour", stats.LastHour), ("last 24 h", stats.Last24h) })
            Console.WriteLine($"  {name,-22} {series.Completed,10} {series.Failed,10} {(series.FailureRate is { } r ? $"{r:P1}" : "-"),13}");

        Console.WriteLine();
        Console.WriteLine("Orchestrators alive (last heartbeat)");
        if (stats.Heartbeats.Count == 0)
            Console.WriteLine($"  none: no heartbeat in the last {stats.LivenessSeconds:0} s. Start `agentfactory serve` or `agentfactory orchestrator` against this database"
                + (stats.ByStatus.GetValueOrDefault("pending") > 0 ? $"; {stats.ByStatus["pending"]} job(s) are waiting." : "."));
        foreach (var h in stats.Heartbeats)
            Console.WriteLine($"  {h.Instance,-36} {h.At:yyyy-MM-dd HH:mm:ss} UTC ({h.AgeSeconds:0} s ago)");
    }

    private static string Trim(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
