using System.Text.Encodings.Web;
using System.Text.Json;
using AgentFactory.Dashboard;

namespace AgentFactory.Cli;

/// <summary>
/// JSON printed for people and scripts on a terminal: indented, snake_case keys, and text as written
/// ("it's", "&lt;main&gt;", "ü"), not the \u0027 escapes the web defaults use for HTML safety. Never
/// sent to a browser.
/// </summary>
public static class CliJson
{
    public static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The admin API's shape (GET /api/stats), printed the same readable way.</summary>
    public static readonly JsonSerializerOptions Api = new(ApiJson.Options)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
