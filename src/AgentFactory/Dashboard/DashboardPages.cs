using System.Collections.Frozen;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace AgentFactory.Dashboard;

/// <summary>
/// The page itself (/dashboard), its script and style (embedded in the assembly: no build step, no CDN),
/// and the login form that turns the admin token into a session cookie.
/// </summary>
public static class DashboardPages
{
    private sealed record Asset(byte[] Body, string ContentType, string ETag);

    private static readonly FrozenDictionary<string, Asset> Assets = new Dictionary<string, Asset>
    {
        ["index.html"] = Load("index.html", "text/html; charset=utf-8"),
        ["login.html"] = Load("login.html", "text/html; charset=utf-8"),
        ["app.js"] = Load("app.js", "text/javascript; charset=utf-8"),
        ["steps.js"] = Load("steps.js", "text/javascript; charset=utf-8"),
        ["app.css"] = Load("app.css", "text/css; charset=utf-8"),
    }.ToFrozenDictionary();

    public static RouteGroupBuilder MapDashboardPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/dashboard");
        pages.MapGet("", (HttpContext http) => Serve(http, "index.html")).RequireAuthorization(AdminAuth.Policy);
        pages.MapGet("/assets/{name}", (HttpContext http, string name) =>
            name is "app.js" or "steps.js" or "app.css" ? Serve(http, name) : TypedResults.NotFound());
        pages.MapGet("/login", LoginPageAsync);
        pages.MapPost("/login", LoginAsync).DisableAntiforgery(); // validated below, to answer with the form rather than a bare 400
        pages.MapPost("/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(AdminAuth.CookieScheme);
            return TypedResults.Redirect("/dashboard/login");
        }).RequireAuthorization(AdminAuth.Policy).AddEndpointFilter(CsrfFilter.ValidateAsync).DisableAntiforgery();
        return pages;
    }

    private static async Task<IResult> LoginPageAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if ((await http.AuthenticateAsync(AdminAuth.CookieScheme)).Succeeded) return TypedResults.Redirect("/dashboard");
        return LoginForm(http, antiforgery, null, StatusCodes.Status200OK);
    }

    /// <summary>The right token always opens a session; a wrong one counts against the client's budget (401, then 429).</summary>
    private static async Task<IResult> LoginAsync(HttpContext http, IAntiforgery antiforgery, DashboardSettings settings, AdminGuessLimiter limiter)
    {
        if (!http.Request.HasFormContentType) return LoginForm(http, antiforgery, "Send the login form.", StatusCodes.Status400BadRequest);
        try
        {
            await antiforgery.ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return LoginForm(http, antiforgery, "The form had expired. Enter the token again.", StatusCodes.Status400BadRequest);
        }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (AdminAuth.IsAdminToken(form["token"].ToString().Trim(), settings))
        {
            await http.SignInAsync(AdminAuth.CookieScheme, AdminAuth.SessionPrincipal(settings));
            return TypedResults.Redirect("/dashboard");
        }
        if (limiter.WrongToken(http.Connection.RemoteIpAddress, "login") is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = AdminGuessLimiter.Seconds(retryAfter);
            return LoginForm(http, antiforgery, AdminAuth.TooManyMessage(retryAfter), StatusCodes.Status429TooManyRequests);
        }
        return LoginForm(http, antiforgery, "That is not the admin token.", StatusCodes.Status401Unauthorized);
    }

    private static IResult LoginForm(HttpContext http, IAntiforgery antiforgery, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var html = System.Text.Encoding.UTF8.GetString(Assets["login.html"].Body)
            .Replace("{{csrf}}", WebUtility.HtmlEncode(tokens.RequestToken), StringComparison.Ordinal)
            .Replace("{{error}}", error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>", StringComparison.Ordinal);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: status);
    }

    private static IResult Serve(HttpContext http, string name)
    {
        var asset = Assets[name];
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.ETag = asset.ETag;
        if (http.Request.Headers.IfNoneMatch.ToString() == asset.ETag) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(asset.Body, asset.ContentType);
    }

    private static Asset Load(string name, string contentType)
    {
        using var stream = typeof(DashboardPages).Assembly.GetManifestResourceStream("dashboard/" + name)
            ?? throw new InvalidOperationException($"Dashboard asset '{name}' is not embedded in the assembly.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var body = buffer.ToArray();
        return new Asset(body, contentType, $"\"{Convert.ToHexString(SHA256.HashData(body))[..16]}\"");
    }
}
