using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentFactory.Tests.Support;

/// <summary>Runs the built `agentfactory` executable as a real process, as a user or a script would.</summary>
public static class Cli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "agentfactory.dll");

    private static readonly string[] Scrubbed =
        ["GITHUB_WEBHOOK_SECRET", "MANUAL_TRIGGER_TOKEN", "DATABASE_URL", "SUPABASE_DB_URL", "SUPABASE_URL", "SUPABASE_KEY",
         "AGENTFACTORY_ROUTING", "AGENTFACTORY_DATA_DIR", "ASPNETCORE_URLS", "ORCHESTRATOR_LOG_LEVEL", "ADMIN_TOKEN", "ADMIN_TOKEN_FILE", "ADMIN_URLS",
         "GITHUB_TOKEN", "REPOSITORY_PATHS", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_FILE", "GITHUB_API_URL", "GITHUB_APP_INSTALLATION_ID",
         "REDELIVER_INTERVAL_MINUTES", "REDELIVER_TARGETS", "REDELIVER_LOOKBACK_HOURS",
         "LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL", "LLM_PROVIDER", "LLM_MAX_INPUT_TOKENS", "LLM_TIMEOUT_SECONDS", "LLM_CONTEXT_WINDOW",
         "LLM_MAX_OUTPUT_TOKENS", "LLM_INPUT_USD_PER_MILLION", "LLM_OUTPUT_USD_PER_MILLION", "LLM_MAX_RETRIES", "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "SLACK_WEBHOOK_URL"];

    public static ProcessStartInfo StartInfo(string workDir, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var name in Scrubbed) psi.Environment.Remove(name);
        psi.Environment["GIT_SYNC_ENABLED"] = "false";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Runs to completion (bounded) and returns exit code, stdout and stderr.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string workDir, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        using var process = Process.Start(StartInfo(workDir, env, args))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
