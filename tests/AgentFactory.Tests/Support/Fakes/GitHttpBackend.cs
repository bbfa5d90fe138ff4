using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// Git's smart HTTP protocol for a fake host: each request is handed to the real `git http-backend`
/// (CGI) for one bare repository, so clients fetch and push over HTTP exactly as against GitHub.
/// </summary>
public static class GitHttpBackend
{
    /// <summary>Serves <paramref name="rest"/> (e.g. "info/refs") of the bare repository <paramref name="gitDirectory"/>; a push is allowed.</summary>
    public static async Task ServeAsync(HttpContext http, string gitDirectory, string rest, string user)
    {
        var psi = new ProcessStartInfo("git", ["http-backend"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var request = http.Request;
        psi.Environment["GIT_PROJECT_ROOT"] = Path.GetDirectoryName(gitDirectory)!;
        psi.Environment["PATH_INFO"] = "/" + Path.GetFileName(gitDirectory) + "/" + rest;
        psi.Environment["QUERY_STRING"] = request.QueryString.Value?.TrimStart('?') ?? "";
        psi.Environment["REQUEST_METHOD"] = request.Method;
        psi.Environment["CONTENT_TYPE"] = request.ContentType ?? "";
        psi.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        psi.Environment["REMOTE_USER"] = user; // lets git-receive-pack run
        psi.Environment["REMOTE_ADDR"] = "127.0.0.1";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        if (request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol) psi.Environment["GIT_PROTOCOL"] = protocol;
        if (request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding) psi.Environment["HTTP_CONTENT_ENCODING"] = encoding;

        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(output); // while the request is written: no pipe deadlock
        await request.Body.CopyToAsync(process.StandardInput.BaseStream);
        process.StandardInput.Close();
        await reading;
        await process.WaitForExitAsync();
        await stderr;
        var bytes = output.ToArray();
        var end = IndexOf(bytes, "\r\n\r\n"u8, out var separator);
        if (end < 0) end = IndexOf(bytes, "\n\n"u8, out separator);
        var headers = Encoding.ASCII.GetString(bytes, 0, Math.Max(end, 0)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        http.Response.StatusCode = 200;
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0) continue;
            var (name, value) = (header[..colon].Trim(), header[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase)) http.Response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            else http.Response.Headers[name] = value;
        }
        var body = end < 0 ? bytes : bytes[(end + separator)..];
        await http.Response.Body.WriteAsync(body);
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle, out int length)
    {
        length = needle.Length;
        return haystack.AsSpan().IndexOf(needle);
    }
}
