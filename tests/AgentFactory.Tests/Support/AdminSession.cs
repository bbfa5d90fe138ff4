using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentFactory.Tests.Support;

/// <summary>A browser-like client: logs in through the form and then carries only the session cookie.</summary>
public sealed partial class AdminSession : IDisposable
{
    public HttpClient Http { get; }
    public CookieContainer Cookies { get; } = new();
    public HttpResponseMessage? LoginResponse { get; private set; }

    public AdminSession(Uri baseAddress)
    {
        Http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    }

    /// <summary>GET the login form, POST the token with the form's anti-forgery field.</summary>
    public async Task<HttpResponseMessage> LoginAsync(string token)
    {
        var form = await Http.GetStringAsync("/dashboard/login");
        var csrf = CsrfField().Match(form).Groups[1].Value;
        LoginResponse = await Http.PostAsync("/dashboard/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["csrf"] = csrf, ["token"] = token }));
        return LoginResponse;
    }

    /// <summary>The anti-forgery request token the page fetches for its state changes.</summary>
    public async Task<string> CsrfTokenAsync()
    {
        var session = await Http.GetFromJsonAsync<JsonObject>("/api/session");
        return session!["csrf_token"]!.GetValue<string>();
    }

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
