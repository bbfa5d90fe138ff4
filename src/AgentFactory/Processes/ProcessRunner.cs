using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

using AgentFactory.Sandbox;

namespace AgentFactory.Processes;

/// <summary>
/// Runs a child process in its own session (via setsid) so that on exit, timeout or cancellation the
/// whole process group is killed: a script that forks children, hangs or daemonizes never outlives
/// its job and never holds the queue. Output is captured into a bounded tail buffer.
/// </summary>
internal static partial class ProcessRunner
{
    private const string Setsid = "/usr/bin/setsid";
    private const int SigKill = 9;

    /// <summary>Runs to completion. Cancelling <paramref name="ct"/> kills the process group and throws.</summary>
    public static async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct)
    {
        var program = Resolve(spec);
        var useSetsid = OperatingSystem.IsLinux() && File.Exists(Setsid);
        var psi = new ProcessStartInfo(useSetsid ? Setsid : program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.WorkingDirectory ?? "",
        };
        if (useSetsid) psi.ArgumentList.Add(program);
        foreach (var a in spec.Arguments) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var (k, v) in spec.Environment) psi.Environment[k] = v;

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start '{spec.FileName}': {e.Message}. Check the path and that it is executable.", e);
        }

        var tail = new TailBuffer(spec.MaxOutputBytes);
        var stdout = PumpAsync(process.StandardOutput.BaseStream, tail);
        var stderr = PumpAsync(process.StandardError.BaseStream, tail);
        _ = FeedStdinAsync(process, spec.Stdin);

        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            KillGroup(process, useSetsid);
            await DrainAsync(stdout, stderr);
            throw;
        }
        // Children that outlive the main process (background jobs, daemons) are ended too.
        KillGroup(process, useSetsid);
        await DrainAsync(stdout, stderr);
        return new ProcessResult(process.ExitCode, tail.ToString(), tail.Total);
    }

    /// <summary>The program's full path, looked up like a shell would (relative to the working directory, or on PATH).</summary>
    private static string Resolve(ProcessSpec spec)
    {
        if (spec.FileName.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(spec.FileName, spec.WorkingDirectory ?? Directory.GetCurrentDirectory());
            return File.Exists(full) ? full
                : throw new InvalidOperationException($"Could not start '{spec.FileName}': no such file ({full}).");
        }
        var path = spec.Environment.TryGetValue("PATH", out var p) ? p : Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, spec.FileName);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"Could not start '{spec.FileName}': not found on PATH ({path}).");
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

    private static async Task PumpAsync(Stream stream, TailBuffer tail)
    {
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0) tail.Append(buffer.AsSpan(0, n));
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    private static async Task DrainAsync(Task stdout, Task stderr)
    {
        // After the group is killed the pipes close; the bound only guards against a descendant that escaped the group.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(5)));
    }

    private static void KillGroup(Process process, bool ownGroup)
    {
        try
        {
            if (ownGroup) _ = Kill(-process.Id, SigKill);
            else if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Keeps the last N bytes written, counting all of them.</summary>
    private sealed class TailBuffer(int capacity)
    {
        private readonly byte[] _buffer = new byte[Math.Max(1, capacity)];
        private readonly Lock _lock = new();
        private int _start;
        private int _count;

        public long Total { get; private set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            lock (_lock)
            {
                Total += data.Length;
                if (data.Length >= _buffer.Length)
                {
                    data[^_buffer.Length..].CopyTo(_buffer);
                    _start = 0;
                    _count = _buffer.Length;
                    return;
                }
                foreach (var b in data)
                {
                    var end = (_start + _count) % _buffer.Length;
                    _buffer[end] = b;
                    if (_count < _buffer.Length) _count++;
                    else _start = (_start + 1) % _buffer.Length;
                }
            }
        }

        public override string ToString()
        {
            lock (_lock)
            {
                var bytes = new byte[_count];
                for (var i = 0; i < _count; i++) bytes[i] = _buffer[(_start + i) % _buffer.Length];
                var text = Encoding.UTF8.GetString(bytes);
                return Total > _count ? $"[… {Total - _count} earlier bytes of output dropped]\n" + text : text;
            }
        }
    }
}
