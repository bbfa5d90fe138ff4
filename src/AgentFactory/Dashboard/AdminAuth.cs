using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using AgentFactory.Hosting;
using AgentFactory.Ingest;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace AgentFactory.Dashboard;

/// <summary>
/// Who may use the admin surface. API clients (curl, Prometheus) send "Authorization: Bearer &lt;admin token&gt;";
/// the browser posts the token once to the login page and then carries an HttpOnly, SameSite=Strict session
/// cookie signed with Data Protection (keys in the data directory) that names a server-side session
/// (<see cref="AdminSessionStore"/>: logout and token rotation end it). Cookie-authenticated state changes must
/// also carry an anti-forgery token (<see cref="CsrfFilter"/>); bearer calls need not, as no browser sends them.
/// Wrong tokens are counted per client by <see cref="AdminGuessLimiter"/>; the right one always gets in.
/// </summary>
public static class AdminAuth
{
    public const string Scheme = "AgentFactory.Admin";
    public const string BearerScheme = "AgentFactory.AdminBearer";
    public const string CookieScheme = "AgentFactory.AdminCookie";
    public const string Policy = "AgentFactory.Admin";
    public const string CsrfHeader = "X-CSRF-Token";
    public const string CsrfField = "csrf";
    public const string SessionCookie = "af_session";
    internal const string TokenClaim = "af_token";

    /// <summary>HttpContext.Items key: the bearer handler's "try again in" for a throttled client.</summary>
    private const string RetryAfterItem = "AgentFactory.Admin.RetryAfter";

    public static IServiceCollection AddAdminAuth(this IServiceCollection services, DashboardSettings settings)
    {
        SettingsLoader.CreatePrivateDirectory(settings.KeysDirectory);
        // The keys sit unencrypted in the owner-only data directory, beside the database and the generated
        // secrets; the framework's start-up warning about that would only repeat it on every start.
        services.AddLogging(l => l.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error));
        services.AddDataProtection()
            .SetApplicationName("AgentFactory")
            .PersistKeysToFileSystem(new DirectoryInfo(settings.KeysDirectory));
        services.AddSingleton<AdminGuessLimiter>();
        services.AddSingleton<AdminSessionStore>();
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<AdminSessionStore>((o, sessions) => o.SessionStore = sessions);
        services.AddAuthentication()
            // One name for the policy; a request with an Authorization header is judged by it alone.
            .AddPolicyScheme(Scheme, "Admin token or session", o => o.ForwardDefaultSelector =
                ctx => ctx.Request.Headers.Authorization.Count > 0 ? BearerScheme : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, AdminBearerHandler>(BearerScheme, null)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = SessionCookie;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.Cookie.Path = "/";
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.LoginPath = "/dashboard/login";
                o.Events.OnRedirectToLogin = ctx =>
                {
                    // Only the page itself sends a person to the login form; API calls get a 401 they can act on.
                    if (HttpMethods.IsGet(ctx.Request.Method) && ctx.Request.Path.StartsWithSegments("/dashboard"))
                        ctx.Response.Redirect("/dashboard/login");
                    else
                        return Unauthorized(ctx.HttpContext);
                    return Task.CompletedTask;
                };
                o.Events.OnRedirectToAccessDenied = ctx => Unauthorized(ctx.HttpContext);
                // Which token a session was opened with is checked by the session store: rotation ends every session.
            });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfHeader;
            o.FormFieldName = CsrfField;
            o.Cookie.Name = "af_csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SuppressXFrameOptionsHeader = true; // the surface sends DENY itself
        });
        return services;
    }

    /// <summary>Constant-time check of a presented token against the admin token.</summary>
    public static bool IsAdminToken(string presented, DashboardSettings settings) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(settings.AdminToken)));

    /// <summary>The principal of a browser session opened with the admin token.</summary>
    public static ClaimsPrincipal SessionPrincipal(DashboardSettings settings) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "admin"), new Claim(TokenClaim, TokenFingerprint(settings.AdminToken)),
         new Claim("sid", Guid.NewGuid().ToString("N"))],
        CookieScheme));

    public static bool ByBearer(ClaimsPrincipal user) => user.Identity?.AuthenticationType == BearerScheme;

    public static Task Unauthorized(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return http.Response.WriteAsJsonAsync(new Problem("unauthorized",
            "Send the admin token as 'Authorization: Bearer <token>' (or log in at /dashboard). It is ADMIN_TOKEN, or the admin-token file in the service's data directory."));
    }

    /// <summary>
    /// A throttled client's wrong token: 429 with Retry-After and when to try again (not "send the admin
    /// token", which it did). Shared by the bearer handler and the login form.
    /// </summary>
    public static Task TooManyWrongTokens(HttpContext http, TimeSpan retryAfter)
    {
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = AdminGuessLimiter.Seconds(retryAfter);
        return http.Response.WriteAsJsonAsync(new Problem("too_many_wrong_tokens", TooManyMessage(retryAfter)));
    }

    public static string TooManyMessage(TimeSpan retryAfter) =>
        $"Too many wrong admin tokens from this address. Try again in {AdminGuessLimiter.Seconds(retryAfter)} seconds; the right token is accepted at any time.";

    internal static void MarkThrottled(HttpContext http, TimeSpan retryAfter) => http.Items[RetryAfterItem] = retryAfter;

    internal static TimeSpan? Throttled(HttpContext http) => http.Items.TryGetValue(RetryAfterItem, out var v) && v is TimeSpan t ? t : null;

    /// <summary>Identifies the token a session was opened with without storing anything that reveals it.</summary>
    internal static string TokenFingerprint(string token) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("agentfactory-admin-session:" + token)))[..16];
}

/// <summary>
/// "Authorization: Bearer &lt;admin token&gt;", compared in constant time. The right token always
/// authenticates; a wrong one is counted for its client address (<see cref="AdminGuessLimiter"/>) and
/// answered 401, or 429 with Retry-After once that client has spent its budget.
/// </summary>
public sealed class AdminBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, DashboardSettings settings, AdminGuessLimiter limiter)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        const string prefix = "Bearer ";
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        if (AdminAuth.IsAdminToken(header[prefix.Length..].Trim(), settings))
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "admin")], AdminAuth.BearerScheme);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AdminAuth.BearerScheme)));
        }
        if (limiter.WrongToken(Context.Connection.RemoteIpAddress, "bearer") is { } retryAfter)
        {
            AdminAuth.MarkThrottled(Context, retryAfter);
            return Task.FromResult(AuthenticateResult.Fail("Too many wrong admin tokens from this address."));
        }
        return Task.FromResult(AuthenticateResult.Fail("The bearer token is not the admin token."));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AdminAuth.Throttled(Context) is { } retryAfter ? AdminAuth.TooManyWrongTokens(Context, retryAfter) : AdminAuth.Unauthorized(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => HandleChallengeAsync(properties);
}
