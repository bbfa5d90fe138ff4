using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using AgentFactory.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;

namespace AgentFactory.Dashboard;

/// <summary>
/// The browser sessions, kept on the server (the cookie carries only a random session id): logout
/// deletes the session, so a saved copy of the cookie stops working at once. Each session is a file
/// under &lt;data&gt;/sessions (directory 0700, files 0600), its ticket protected with the Data Protection
/// keys, so sessions survive a restart as the cookie does. A session opened with another admin token
/// (ADMIN_TOKEN rotated) is refused and deleted when next presented, and swept with the expired ones
/// whenever a session is opened.
/// </summary>
public sealed class AdminSessionStore : ITicketStore
{
    private readonly string _directory;
    private readonly IDataProtector _protector;
    private readonly string _tokenFingerprint;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    public AdminSessionStore(DashboardSettings settings, IDataProtectionProvider protection, TimeProvider time)
    {
        _directory = settings.SessionsDirectory;
        SettingsLoader.CreatePrivateDirectory(_directory);
        _protector = protection.CreateProtector("AgentFactory.AdminSessions");
        _tokenFingerprint = AdminAuth.TokenFingerprint(settings.AdminToken);
        _time = time;
    }

    /// <summary>How many sessions are open (for tests and doctor-like checks).</summary>
    public int Count => Directory.EnumerateFiles(_directory, "*.session").Count();

    public Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        lock (_gate)
        {
            Sweep();
            Write(key, ticket);
        }
        return Task.FromResult(key);
    }

    /// <summary>Sliding expiry: only a session that still exists is renewed, so a logout racing a request stays a logout.</summary>
    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        lock (_gate)
            if (File.Exists(PathOf(key))) Write(key, ticket);
        return Task.CompletedTask;
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        lock (_gate)
        {
            var ticket = Read(PathOf(key));
            if (ticket is null) File.Delete(PathOf(key));
            return Task.FromResult(ticket);
        }
    }

    public Task RemoveAsync(string key)
    {
        lock (_gate) File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    /// <summary>The ticket, or null when it is missing, unreadable, expired or from another admin token.</summary>
    private AuthenticationTicket? Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        AuthenticationTicket? ticket;
        try { ticket = TicketSerializer.Default.Deserialize(_protector.Unprotect(bytes)); }
        catch (CryptographicException) { return null; }
        if (ticket is null) return null;
        if (ticket.Properties.ExpiresUtc is { } expires && expires <= _time.GetUtcNow()) return null;
        return ticket.Principal.FindFirstValue(AdminAuth.TokenClaim) == _tokenFingerprint ? ticket : null;
    }

    private void Write(string key, AuthenticationTicket ticket)
    {
        var path = PathOf(key);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
            stream.Write(_protector.Protect(TicketSerializer.Default.Serialize(ticket)));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Deletes the sessions no request could use any more (expired, or opened with a rotated token).</summary>
    private void Sweep()
    {
        foreach (var file in Directory.EnumerateFiles(_directory, "*.session"))
            if (Read(file) is null) File.Delete(file);
    }

    /// <summary>The file name is a hash of the id, so a directory listing does not hold a usable session id.</summary>
    private string PathOf(string key) =>
        Path.Combine(_directory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32].ToLowerInvariant() + ".session");
}
