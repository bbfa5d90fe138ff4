using System.Net;
using System.Net.Http.Headers;
using AgentFactory.Jobs;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Tests.Dashboard;

/// <summary>Who gets in: the admin token as a bearer, or a session cookie from the login form, with CSRF for cookie changes.</summary>
public sealed class AdminAccessTests : IAsyncLifetime
{
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    /// <summary>
    /// Attack: a local process (through an SSH tunnel every client is 127.0.0.1) sends wrong tokens to
    /// lock the operator out. Its guesses are throttled, but the operator's right token still works.
    /// </summary>
    [Fact]
    public async Task Wrong_tokens_from_one_address_are_throttled_but_never_lock_out_the_right_token()
    {
        for (var i = 0; i < 10; i++)
        {
            using var guess = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
            guess.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"guess-{i}-0123456789abcdef");
            Assert.Equal(HttpStatusCode.Unauthorized, (await _service.Http.SendAsync(guess)).StatusCode);
        }
        using (var eleventh = new HttpRequestMessage(HttpMethod.Get, "/api/stats"))
        {
            eleventh.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess-10-0123456789abcdef");
            using var throttled = await _service.Http.SendAsync(eleventh);
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a throttled guess says when to try again");
            var message = await throttled.Content.ReadAsStringAsync();
            Assert.Contains("Try again in", message, StringComparison.Ordinal);
            Assert.DoesNotContain("Send the admin token", message, StringComparison.Ordinal);
        }

        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestService.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await _service.Http.SendAsync(right)).StatusCode);

        using var browser = new AdminSession(_service.Http.BaseAddress!);
        var wrongLogin = await browser.LoginAsync("yet-another-wrong-guess-0123");
        Assert.Equal(HttpStatusCode.TooManyRequests, wrongLogin.StatusCode);
        Assert.True(wrongLogin.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("Try again in", await wrongLogin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.LoginAsync(TestService.AdminToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/api/stats")).StatusCode);
    }

    [Fact]
    public async Task Wrong_admin_tokens_are_logged_with_the_client_address_and_never_the_token()
    {
        var log = new LogCapture();
        await using var service = await TestService.StartAsync(services: s => s.AddSingleton<ILoggerProvider>(log));
        using var guess = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        guess.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "a-wrong-guess-0123456789");
        await service.Http.SendAsync(guess);
        using var browser = new AdminSession(service.Http.BaseAddress!);
        await browser.LoginAsync("another-wrong-guess-0123456789");

        Assert.Contains(log.Lines, l => l.Contains("Wrong admin token (bearer) from 127.0.0.1", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("Wrong admin token (login) from 127.0.0.1", StringComparison.Ordinal));
        Assert.DoesNotContain("wrong-guess", log.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_cookie_is_secure_behind_a_local_tls_proxy()
    {
        using var session = new AdminSession(_service.Http.BaseAddress!);
        var form = await session.Http.GetStringAsync("/dashboard/login");
        var csrf = System.Text.RegularExpressions.Regex.Match(form, "name=\"csrf\" value=\"([^\"]+)\"").Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/dashboard/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["csrf"] = csrf, ["token"] = TestService.AdminToken }),
        };
        post.Headers.Add("X-Forwarded-Proto", "https"); // nginx on this host terminating TLS
        var response = await session.Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/api/stats")]
    [InlineData("/api/jobs")]
    [InlineData("/api/jobs/1")]
    [InlineData("/api/events")]
    [InlineData("/api/stream")]
    [InlineData("/api/session")]
    [InlineData("/metrics")]
    public async Task Admin_routes_answer_401_without_the_token_and_200_with_it(string path)
    {
        var anonymous = await _service.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("Bearer", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("admin token", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestService.Token); // the manual token is not the admin token
        Assert.Equal(HttpStatusCode.Unauthorized, (await _service.Http.SendAsync(wrong)).StatusCode);

        if (path == "/api/jobs/1") await _service.Store.EnqueueAsync(new NewJob("t", "{}"), default);
        using var right = new HttpRequestMessage(HttpMethod.Get, path);
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestService.AdminToken);
        using var ok = await _service.Http.SendAsync(right, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Posts_without_the_token_are_refused_and_change_nothing()
    {
        var id = await _service.Store.EnqueueAsync(new NewJob("t", "{}", RunAt: DateTimeOffset.UtcNow.AddHours(1)), default);
        var response = await _service.Http.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(JobStatus.Pending, (await _service.Store.GetJobAsync(id, default))!.Status);
    }

    [Fact]
    public async Task Dashboard_page_sends_a_browser_to_the_login_form()
    {
        using var browser = new AdminSession(_service.Http.BaseAddress!);
        var response = await browser.Http.GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/dashboard/login", response.Headers.Location!.OriginalString);
        var login = await browser.Http.GetAsync("/dashboard/login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("Admin token", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_with_the_token_sets_an_httponly_strict_session_cookie_that_opens_the_page_and_api()
    {
        using var browser = new AdminSession(_service.Http.BaseAddress!);
        var login = await browser.LoginAsync(TestService.AdminToken);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/dashboard", login.Headers.Location!.OriginalString);
        var setCookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("af_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("; secure", setCookie, StringComparison.OrdinalIgnoreCase); // plain HTTP here; Secure when the request is HTTPS
        Assert.DoesNotContain(TestService.AdminToken, setCookie, StringComparison.Ordinal);

        var page = await browser.Http.GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("/dashboard/assets/app.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Login_with_a_wrong_token_is_refused_without_a_session()
    {
        using var browser = new AdminSession(_service.Http.BaseAddress!);
        var login = await browser.LoginAsync("not-the-admin-token-at-all");
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.Contains("not the admin token", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(login.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("af_session=", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Http.GetAsync("/api/stats")).StatusCode);
    }

    [Fact]
    public async Task Login_form_posted_without_its_antiforgery_field_is_refused()
    {
        using var browser = new AdminSession(_service.Http.BaseAddress!);
        var response = await browser.Http.PostAsync("/dashboard/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = TestService.AdminToken }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Http.GetAsync("/api/stats")).StatusCode);
    }

    [Fact]
    public async Task Cookie_authenticated_post_needs_the_antiforgery_token_but_a_bearer_post_does_not()
    {
        var first = await _service.Store.EnqueueAsync(new NewJob("t", "{}", RunAt: DateTimeOffset.UtcNow.AddHours(1)), default);
        var second = await _service.Store.EnqueueAsync(new NewJob("t", "{}", RunAt: DateTimeOffset.UtcNow.AddHours(1)), default);
        using var browser = new AdminSession(_service.Http.BaseAddress!);
        await browser.LoginAsync(TestService.AdminToken);

        var forged = await browser.Http.PostAsync($"/api/jobs/{first}/cancel", null);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("X-CSRF-Token", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(JobStatus.Pending, (await _service.Store.GetJobAsync(first, default))!.Status);

        using var withToken = new HttpRequestMessage(HttpMethod.Post, $"/api/jobs/{first}/cancel");
        withToken.Headers.Add("X-CSRF-Token", await browser.CsrfTokenAsync());
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.SendAsync(withToken)).StatusCode);
        Assert.Equal(JobStatus.Cancelled, (await _service.Store.GetJobAsync(first, default))!.Status);

        Assert.Equal(HttpStatusCode.OK, (await _service.Admin.PostAsync($"/api/jobs/{second}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Logout_ends_the_session()
    {
        using var browser = new AdminSession(_service.Http.BaseAddress!);
        await browser.LoginAsync(TestService.AdminToken);
        using var logout = new HttpRequestMessage(HttpMethod.Post, "/dashboard/logout");
        logout.Headers.Add("X-CSRF-Token", await browser.CsrfTokenAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.SendAsync(logout)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Http.GetAsync("/api/stats")).StatusCode);
    }

    /// <summary>Attack: someone who copied the cookie (a shared machine, a proxy log) replays it after the operator logged out.</summary>
    [Fact]
    public async Task A_saved_session_cookie_no_longer_works_after_logout()
    {
        using var browser = new AdminSession(_service.Http.BaseAddress!);
        await browser.LoginAsync(TestService.AdminToken);
        var saved = browser.Cookies.GetCookies(_service.Http.BaseAddress!)["af_session"]!.Value;
        var sessions = _service.Host.Services.GetRequiredService<AgentFactory.Dashboard.AdminSessionStore>();
        Assert.Equal(1, sessions.Count);

        using var logout = new HttpRequestMessage(HttpMethod.Post, "/dashboard/logout");
        logout.Headers.Add("X-CSRF-Token", await browser.CsrfTokenAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.SendAsync(logout)).StatusCode);
        Assert.Equal(0, sessions.Count);

        using var replay = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = _service.Http.BaseAddress };
        foreach (var path in new[] { "/api/stats", "/dashboard" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", $"af_session={saved}");
            using var response = await replay.SendAsync(request);
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Redirect, $"{path}: {response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.Redirect) Assert.Equal("/dashboard/login", response.Headers.Location!.OriginalString);
        }
    }

    [Fact]
    public async Task Dashboard_responses_carry_the_browser_security_headers()
    {
        foreach (var path in new[] { "/dashboard/login", "/dashboard/assets/app.js", "/api/stats" })
        {
            var response = await _service.Admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        }
        var page = await _service.Admin.GetStringAsync("/dashboard");
        Assert.DoesNotMatch("<script>|<script [^>]*>[^<]|\\son[a-z]+=|style=", page); // nothing inline for the CSP to block
    }
    [Fact]
    public async Task Sessions_survive_a_restart_but_not_a_token_rotation()
    {
        using var shared = new TempDir();
        var cookies = new System.Net.CookieContainer();
        async Task<HttpStatusCode> StatsWithCookieAsync(TestService service)
        {
            using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = service.Http.BaseAddress };
            return (await client.GetAsync("/api/stats")).StatusCode;
        }

        await using (var first = await TestService.StartAsync(configure: o => o.DataDirectory = shared.Path))
        {
            using var browser = new AdminSession(first.Http.BaseAddress!);
            await browser.LoginAsync(TestService.AdminToken);
            var session = browser.Cookies.GetCookies(first.Http.BaseAddress!)["af_session"]!;
            cookies.Add(new Cookie(session.Name, session.Value, "/", "127.0.0.1"));
        }
        await using (var restarted = await TestService.StartAsync(configure: o => o.DataDirectory = shared.Path))
            Assert.Equal(HttpStatusCode.OK, await StatsWithCookieAsync(restarted)); // keys persisted in data/keys
        await using (var rotated = await TestService.StartAsync(configure: o => o.DataDirectory = shared.Path, adminToken: "a-brand-new-admin-token-0123"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatsWithCookieAsync(rotated));
            Assert.Equal(0, rotated.Host.Services.GetRequiredService<AgentFactory.Dashboard.AdminSessionStore>().Count); // the old session is deleted, not only refused
        }
    }
}
