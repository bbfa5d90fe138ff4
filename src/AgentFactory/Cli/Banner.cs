using AgentFactory.Hosting;
using AgentFactory.Options;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AgentFactory.Cli;

/// <summary>What a person starting the service needs to see: where it listens, where its secrets are, what to paste into GitHub.</summary>
public static class Banner
{
    public static void Print(AgentFactoryOptions options, Roles roles, string routingSource, IHost host)
    {
        var addresses = host.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var listen = addresses.FirstOrDefault() ?? "";
        Console.WriteLine($"Agent Factory ({string.Join(" + ", Enum.GetValues<Roles>().Where(r => r != Roles.Both && roles.HasFlag(r))).ToLowerInvariant()})");
        if (listen.Length > 0) Console.WriteLine($"  listening on   {string.Join(", ", addresses)}");
        Console.WriteLine($"  queue          {ServiceCommands.Describe(options)}");
        Console.WriteLine($"  routing        {routingSource}");
        if (!roles.HasFlag(Roles.Webhook)) return;

        Console.WriteLine($"  webhook secret {options.WebhookSecretSource}");
        Console.WriteLine($"  manual token   {options.ManualTokenSource}");
        if (host.Services.GetService<Dashboard.DashboardSettings>() is { } dashboard)
        {
            var admin = (dashboard.AdminUrls.Count > 0 ? dashboard.AdminUrls[0] : listen).TrimEnd('/');
            Console.WriteLine($"  dashboard      {admin}/dashboard  (admin token: {dashboard.AdminTokenSource})");
        }
        if (SettingsLoader.CreatedSecretFiles.Count == 0) return;

        var payloadUrl = (options.PublicUrl ?? "https://<your-public-host>").TrimEnd('/') + "/webhook/github";
        // Shown once, on the terminal of the run that generated it; never into a log file or journal.
        var showSecret = !Console.IsOutputRedirected && SettingsLoader.CreatedSecretFiles.Contains(options.WebhookSecretSource);
        Console.WriteLine();
        Console.WriteLine("First run: generated secrets (files readable only by this user):");
        foreach (var file in SettingsLoader.CreatedSecretFiles) Console.WriteLine($"  {file}");
        Console.WriteLine();
        Console.WriteLine("Add the webhook on GitHub: repository → Settings → Webhooks → Add webhook");
        Console.WriteLine($"  Payload URL:   {payloadUrl}   (this service: {listen.TrimEnd('/')}/webhook/github; set PUBLIC_URL to show yours)");
        Console.WriteLine("  Content type:  application/json");
        Console.WriteLine(showSecret
            ? $"  Secret:        {options.WebhookSecrets[0]}"
            : options.WebhookSecretSource == "GITHUB_WEBHOOK_SECRET"
                ? "  Secret:        the value of GITHUB_WEBHOOK_SECRET"
                : $"  Secret:        the contents of {options.WebhookSecretSource}  (cat it)");
        Console.WriteLine("  Events:        Pushes, Releases, Issues, Pull requests (or 'Send me everything')");
        Console.WriteLine();
        Console.WriteLine("Try the manual trigger:");
        var token = options.ManualTokenSource == "MANUAL_TRIGGER_TOKEN" ? "$MANUAL_TRIGGER_TOKEN" : $"$(cat {options.ManualTokenSource})";
        Console.WriteLine($"  curl -X POST -H \"Authorization: Bearer {token}\" {listen.TrimEnd('/')}/webhook/manual");
        Console.WriteLine();
    }
}
