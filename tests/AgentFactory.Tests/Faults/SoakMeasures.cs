using System.Globalization;

namespace AgentFactory.Tests.Faults;

/// <summary>One sample of the service process: when, which life (process), resident memory and open file descriptors.</summary>
public sealed record ResourceSample(TimeSpan At, int Life, double RssMb, int Fds);

/// <summary>
/// Resident memory (VmRSS) and open file descriptors (/proc/&lt;pid&gt;/fd) of the service, sampled
/// over one process life; the soak compares the last third of the samples with the first third.
/// </summary>
public static class ResourceTrend
{
    public static ResourceSample? Sample(ServiceProcess service, int life, TimeSpan at)
    {
        try
        {
            var fds = Directory.EnumerateFileSystemEntries($"/proc/{service.Pid}/fd").Count();
            return new ResourceSample(at, life, service.RssMb(), fds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; } // it just died
    }

    /// <summary>
    /// Means of the first and the last third of the samples (memory) and their medians (descriptors: the
    /// pipes of the agents running at a sample come and go; a leak raises the median).
    /// </summary>
    public static (double RssFirst, double RssLast, int FdFirst, int FdLast) Thirds(IReadOnlyList<ResourceSample> samples)
    {
        if (samples.Count == 0) return (0, 0, 0, 0);
        var third = Math.Max(1, samples.Count / 3);
        var first = samples.Take(third).ToList();
        var last = samples.Skip(samples.Count - third).ToList();
        return (first.Average(s => s.RssMb), last.Average(s => s.RssMb), Median(first), Median(last));
    }

    private static int Median(List<ResourceSample> samples) => samples.Select(s => s.Fds).Order().ElementAt(samples.Count / 2);
}

/// <summary>
/// The agents' record (runs.txt): one "kind job attempt start" line when an attempt's process starts,
/// and "kind job attempt done" when it got to the end of its work.
/// </summary>
public sealed class RunRecord
{
    private RunRecord(List<(string Kind, long Job, int Attempt, string Phase)> lines) => Lines = lines;

    public IReadOnlyList<(string Kind, long Job, int Attempt, string Phase)> Lines { get; }

    public static RunRecord Read(string path)
    {
        var lines = new List<(string, long, int, string)>();
        if (File.Exists(path))
            foreach (var line in File.ReadAllLines(path))
            {
                var f = line.Split(' ');
                if (f.Length == 4) lines.Add((f[0], long.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), f[3]));
            }
        return new RunRecord(lines);
    }

    /// <summary>(job, attempt) pairs whose process started more than once: one attempt run twice.</summary>
    public IReadOnlyList<(long Job, int Attempt)> AttemptsStartedTwice() =>
        Lines.Where(l => l.Phase == "start").GroupBy(l => (l.Job, l.Attempt)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

    /// <summary>job → how many of its attempts got to the end of their work.</summary>
    public Dictionary<long, int> Done() => Lines.Where(l => l.Phase == "done").GroupBy(l => l.Job).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>job → the highest attempt whose process started.</summary>
    public Dictionary<long, int> HighestStarted() => Lines.Where(l => l.Phase == "start").GroupBy(l => l.Job).ToDictionary(g => g.Key, g => g.Max(l => l.Attempt));
}
