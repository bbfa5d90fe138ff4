using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using AgentFactory.Hosting;
using AgentFactory.Ingest;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentFactory.Dashboard;

/// <summary>
/// Who may use the admin surface. API clients (curl, Prometheus) send "Authorization: Bearer &lt;admin token&gt;";
/// the browser posts the token once to the login page and then carries an HttpOnly, SameSite=Strict session
/// cookie signed with Data Protection (keys in the data directory). Cookie-authenticated state changes must
/// also carry an anti-forgery token (<see cref="CsrfFilter"/>); bearer calls need not, as no browser sends them.
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
    private const string TokenClaim = "af_token";

    public static IServiceCollection AddAdminAuth(this IServiceCollection services, DashboardSettings settings)
    {
        SettingsLoader.CreatePrivateDirectory(settings.KeysDirectory);
        // The keys sit unencrypted in the owner-only data directory, beside the database and the generated
        // secrets; the framework's start-up warning about that would only repeat it on every start.
        services.AddLogging(l => l.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error));
        services.AddDataProtection()
            .SetApplicationName("AgentFactory")
            .PersistKeysToFileSystem(new DirectoryInfo(settings.KeysDirectory));
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
                o.Events.OnValidatePrincipal = async ctx =>
                {
                    // A session outlives no token rotation: the cookie names the token it was opened with.
                    if (ctx.Principal?.FindFirstValue(TokenClaim) != TokenFingerprint(settings.AdminToken))
                    {
                        ctx.RejectPrincipal();
                        await ctx.HttpContext.SignOutAsync(CookieScheme);
                    }
                };
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

    /// <summary>Identifies the token a session was opened with without storing anything that reveals it.</summary>
    private static string TokenFingerprint(string token) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("agentfactory-admin-session:" + token)))[..16];
}

/// <summary>
/// "Authorization: Bearer &lt;admin token&gt;", compared in constant time. A client that keeps sending
/// wrong tokens is refused for a minute (brute force), even with the right one.
/// </summary>
public sealed class AdminBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, DashboardSettings settings,
    [FromKeyedServices(Ingest.FailedRequestLimiter.Admin)] Ingest.FailedRequestLimiter limiter)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        const string prefix = "Bearer ";
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        var client = Context.Connection.RemoteIpAddress;
        if (limiter.IsBlocked(client)) return Task.FromResult(AuthenticateResult.Fail("Too many wrong tokens from this address; wait a minute."));
        if (!AdminAuth.IsAdminToken(header[prefix.Length..].Trim(), settings))
        {
            limiter.RecordFailure(client);
            return Task.FromResult(AuthenticateResult.Fail("The bearer token is not the admin token."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "admin")], AdminAuth.BearerScheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AdminAuth.BearerScheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => AdminAuth.Unauthorized(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AdminAuth.Unauthorized(Context);
}
