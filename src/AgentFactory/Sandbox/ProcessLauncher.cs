using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AgentFactory.Sandbox;

/// <summary>One program start: the exact argv, environment and working directory the child gets.</summary>
internal sealed record Launch(
    string Program,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string? WorkingDirectory,
    byte[]? Stdin,
    int MaxOutputBytes,
    Action<string>? StdoutLines = null);

/// <summary>How a launch ended. <paramref name="TimedOut"/>: the wall clock ran out and the tree was killed.</summary>
internal sealed record LaunchOutcome(int ExitCode, string Output, long OutputBytes, bool TimedOut);

/// <summary>
/// Starts children, captures a bounded tail of their output, and kills them on exit, timeout and
/// cancellation. Every child is forked from one dedicated, never-ending thread: PR_SET_PDEATHSIG (which
/// setpriv --pdeathsig and bwrap --die-with-parent rely on) fires when the forking <em>thread</em> exits,
/// and a thread-pool thread retiring after idle would otherwise kill a healthy job.
/// </summary>
internal static partial class ProcessLauncher
{
    public const int SigKill = 9;

    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Starts = [];
    private static readonly Lazy<Thread> Spawner = new(() =>
    {
        var thread = new Thread(SpawnLoop) { IsBackground = true, Name = "agentfactory-spawner" };
        thread.Start();
        return thread;
    });

    /// <summary>
    /// Runs to completion. <paramref name="kill"/> ends the whole tree (a process group, a sandbox); it runs
    /// after a normal exit too, so nothing the program left behind survives it. Cancelling
    /// <paramref name="ct"/> kills the tree and throws.
    /// </summary>
    public static async Task<LaunchOutcome> RunAsync(Launch launch, Action<Process> kill, TimeSpan wallClock, TimeProvider time, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(launch.Program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = launch.WorkingDirectory ?? "",
        };
        foreach (var a in launch.Arguments) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var (k, v) in launch.Environment) psi.Environment[k] = v;

        using var process = new Process { StartInfo = psi };
        await StartOnSpawnerAsync(process);
        try
        {
            return await SuperviseAsync(process, launch, kill, wallClock, time, ct);
        }
        finally
        {
            ClosePipes(process);
        }
    }

    private static async Task<LaunchOutcome> SuperviseAsync(Process process, Launch launch, Action<Process> kill, TimeSpan wallClock, TimeProvider time, CancellationToken ct)
    {
        var tail = new TailBuffer(launch.MaxOutputBytes);
        var stdout = PumpAsync(process.StandardOutput.BaseStream, tail, launch.StdoutLines is { } each ? new OutputLines(each) : null);
        var stderr = PumpAsync(process.StandardError.BaseStream, tail, null);
        _ = FeedStdinAsync(process, launch.Stdin);

        using var timeout = new CancellationTokenSource(wallClock, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process, kill);
            await DrainAsync(stdout, stderr);
            ct.ThrowIfCancellationRequested();
            timedOut = true;
        }
        Kill(process, kill);
        await DrainAsync(stdout, stderr);
        await process.WaitForExitAsync(CancellationToken.None);
        return new LaunchOutcome(process.ExitCode, tail.ToString(), tail.Total, timedOut);
    }

    /// <summary>
    /// Closes this side of the child's stdin, stdout and stderr pipes now. Process.Dispose does not:
    /// it leaves them to the finalizer, so every git sync and every agent run kept two descriptors open
    /// until the next garbage collection (found by the soak: hundreds open on an idle service).
    /// </summary>
    private static void ClosePipes(Process process)
    {
        foreach (var close in new Action[] { () => process.StandardInput.Dispose(), () => process.StandardOutput.Dispose(), () => process.StandardError.Dispose() })
        {
            try { close(); }
            catch (InvalidOperationException) { /* not redirected */ }
            catch (IOException) { /* stdin's pending bytes could not be flushed: the program is gone */ }
        }
    }

    /// <summary>Sends SIGKILL to one process (positive id) or a process group (negative id); gone is fine.</summary>
    public static void Signal(int pid, int signal) => _ = SysKill(pid, signal);

    private static void Kill(Process process, Action<Process> kill)
    {
        try { kill(process); }
        catch (InvalidOperationException) { /* never started or already reaped */ }
    }

    private static Task StartOnSpawnerAsync(Process process)
    {
        _ = Spawner.Value;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Starts.Add((process, started));
        return started.Task;
    }

    private static void SpawnLoop()
    {
        foreach (var (process, started) in Starts.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                started.SetResult();
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                started.SetException(new InvalidOperationException(
                    $"Could not start '{process.StartInfo.FileName}': {e.Message}. Check that it is installed and executable.", e));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }

    private static async Task FeedStdinAsync(Process process, byte[]? stdin)
    {
        try
        {
            if (stdin is { Length: > 0 }) await process.StandardInput.BaseStream.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        catch (IOException) { /* the process exited or closed stdin early: not an error */ }
        catch (ObjectDisposedException) { }
    }

    private static async Task PumpAsync(Stream stream, TailBuffer tail, OutputLines? lines)
    {
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                tail.Append(buffer.AsSpan(0, n));
                lines?.Append(buffer.AsSpan(0, n));
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        lines?.Flush();
    }

    private static async Task DrainAsync(Task stdout, Task stderr)
    {
        // Once the tree is dead the pipes close; the bound only guards against a descendant that escaped it.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(5)));
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
