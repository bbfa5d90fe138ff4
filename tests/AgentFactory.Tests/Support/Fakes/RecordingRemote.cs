using Microsoft.AspNetCore.Builder;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// An attacker's git host: records every request with its Authorization header and asks for basic
/// credentials (401), as a real host would, so a git that has any credential for it would send it.
/// </summary>
public sealed class RecordingRemote : FakeServer
{
    public static async Task<RecordingRemote> StartAsync()
    {
        var fake = new RecordingRemote();
        await fake.ListenAsync();
        return fake;
    }

    protected override void Map(WebApplication app) =>
        app.Run(http =>
        {
            http.Response.StatusCode = 401;
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"attacker\"";
            return Task.CompletedTask;
        });
}
