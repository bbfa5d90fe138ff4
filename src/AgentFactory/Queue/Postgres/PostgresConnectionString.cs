using System.Globalization;
using Npgsql;

namespace AgentFactory.Queue.Postgres;

/// <summary>
/// Turns DATABASE_URL / SUPABASE_DB_URL into Npgsql settings. Accepts the libpq URI that Supabase,
/// Heroku, Render and docker-compose files use (postgresql://user:pass@host:port/db?sslmode=require)
/// and Npgsql keyword strings (Host=…;Username=…). A Supabase host gets SSL Mode=Require unless the
/// string says otherwise. Errors are <see cref="FormatException"/>s whose message never contains the password.
/// </summary>
public static class PostgresConnectionString
{
    /// <summary>
    /// Connect timeout unless the string sets one (Npgsql's default is 15 s): a webhook must be
    /// answered — 503 if need be — well inside GitHub's 10-second limit even when the host is unreachable.
    /// </summary>
    public const int DefaultConnectTimeoutSeconds = 5;

    /// <summary>The port of Supabase's transaction-mode pooler (Supavisor); LISTEN cannot work through it.</summary>
    public const int TransactionPoolerPort = 6543;

    // URI parameters that are not connection settings but hints for other clients (Prisma et al.).
    private static readonly HashSet<string> IgnoredParameters = new(StringComparer.OrdinalIgnoreCase)
        { "pgbouncer", "connection_limit", "pool_timeout", "statement_cache_size", "schema", "supa" };

    public static NpgsqlConnectionStringBuilder Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        var builder = IsUri(text) ? FromUri(text) : FromKeywords(text);
        if (string.IsNullOrEmpty(builder.Host))
            throw new FormatException("The database connection string names no host.");
        if (IsSupabase(builder.Host) && !SslModeGiven(text))
            builder.SslMode = SslMode.Require;
        if (!TimeoutGiven(text))
            builder.Timeout = DefaultConnectTimeoutSeconds;
        return builder;
    }

    /// <summary>host:port/database as user, for logs and banners: never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder b) =>
        $"{b.Host}:{b.Port}/{b.Database ?? b.Username} as {b.Username}";

    /// <summary>
    /// Why LISTEN will not work on this connection, or null when it should: a transaction-mode pooler
    /// (Supabase on port 6543, or a URI marked pgbouncer=true) hands each transaction to a different
    /// server connection, so notifications never reach the listener.
    /// </summary>
    public static string? ListenUnavailableReason(string value, NpgsqlConnectionStringBuilder b, bool listenSetting)
    {
        if (!listenSetting) return "DATABASE_LISTEN=false";
        if (b.Port == TransactionPoolerPort || (b.Host ?? "").Contains($":{TransactionPoolerPort}", StringComparison.Ordinal))
            return $"port {TransactionPoolerPort} is a transaction-mode pooler (Supabase/PgBouncer), which does not support LISTEN";
        if (IsUri(value) && value.Contains("pgbouncer=true", StringComparison.OrdinalIgnoreCase))
            return "the connection string is marked pgbouncer=true (a transaction-mode pooler does not support LISTEN)";
        return null;
    }

    /// <summary>
    /// Lets Npgsql prepare the statements it sees repeatedly (claim, complete, the ingest inserts), so the
    /// server stops parsing and planning them on every call: about twice the queue throughput on the
    /// benchmark machine (docs/benchmarks.md). Not through a transaction-mode pooler, where a prepared
    /// statement lives on a server connection the next transaction may not get (nor with
    /// DATABASE_LISTEN=false, the switch for a pooler the port does not reveal), and never over a
    /// "Max Auto Prepare" the connection string sets itself.
    /// </summary>
    public static void EnableAutoPrepare(string value, NpgsqlConnectionStringBuilder b, bool listenSetting = true)
    {
        if (value.Contains("auto prepare", StringComparison.OrdinalIgnoreCase) || value.Contains("autoprepare", StringComparison.OrdinalIgnoreCase)) return;
        if (ListenUnavailableReason(value, b, listenSetting) is not null) return;
        b.MaxAutoPrepare = 32;
        b.AutoPrepareMinUsages = 2;
    }

    public static bool IsSupabase(string? host) => (host ?? "").Split(',').Any(h =>
    {
        var name = h.Split(':')[0].Trim().TrimEnd('.');
        return name.EndsWith(".supabase.co", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".supabase.com", StringComparison.OrdinalIgnoreCase);
    });

    private static bool IsUri(string text) =>
        text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    private static bool SslModeGiven(string text) => IsUri(text)
        ? text.Contains("sslmode=", StringComparison.OrdinalIgnoreCase)
        : text.Replace(" ", "", StringComparison.Ordinal).Contains("sslmode=", StringComparison.OrdinalIgnoreCase);

    private static bool TimeoutGiven(string text) => IsUri(text)
        ? text.Contains("connect_timeout=", StringComparison.OrdinalIgnoreCase)
        : text.Split(';').Any(part => part.Split('=')[0].Trim().Equals("timeout", StringComparison.OrdinalIgnoreCase));

    private static NpgsqlConnectionStringBuilder FromKeywords(string text)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new FormatException(
                "The database connection string is neither a postgresql:// URI nor a valid Npgsql keyword string " +
                $"(Host=…;Username=…;Password=…;Database=…): {e.Message.Split('\n')[0]}");
        }
    }

    // postgresql://[user[:password]@][host][:port][,host2[:port2]…][/database][?param=value&…]
    private static NpgsqlConnectionStringBuilder FromUri(string text)
    {
        var rest = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var b = new NpgsqlConnectionStringBuilder();

        // A password may contain '@' when it was pasted unencoded; a host never does.
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            b.Username = Decode(colon < 0 ? userInfo : userInfo[..colon]);
            if (colon >= 0) b.Password = Decode(userInfo[(colon + 1)..]);
        }

        var query = "";
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0) (rest, query) = (rest[..q], rest[(q + 1)..]);
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var hosts = slash >= 0 ? rest[..slash] : rest;
        var database = slash >= 0 ? Decode(rest[(slash + 1)..]) : "";
        if (database.Length > 0) b.Database = database;
        if (hosts.Length > 0) SetHosts(b, hosts);

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(eq < 0 ? pair : pair[..eq]);
            var val = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            SetParameter(b, key, val);
        }
        return b;
    }

    private static void SetHosts(NpgsqlConnectionStringBuilder b, string hosts)
    {
        var list = hosts.Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (list.Length == 1)
        {
            var (host, port) = SplitHostPort(Decode(list[0]));
            b.Host = host;
            if (port is { } p) b.Port = p;
            return;
        }
        // Several hosts: Npgsql takes "host:port,host:port" in Host (failover / target_session_attrs).
        b.Host = string.Join(',', list.Select(h => Decode(h)));
    }

    private static (string Host, int? Port) SplitHostPort(string hostPort)
    {
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw new FormatException($"The database URI has an unterminated IPv6 address '{hostPort}'.");
            var tail = hostPort[(close + 1)..];
            return (hostPort[1..close], tail.StartsWith(':') ? Port(tail[1..]) : null);
        }
        var colon = hostPort.LastIndexOf(':');
        return colon < 0 ? (hostPort, null) : (hostPort[..colon], Port(hostPort[(colon + 1)..]));
    }

    private static int Port(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new FormatException($"The database URI has an invalid port '{text}'.");

    private static void SetParameter(NpgsqlConnectionStringBuilder b, string key, string value)
    {
        switch (key.ToLowerInvariant())
        {
            case "sslmode":
                b.SslMode = value.ToLowerInvariant() switch
                {
                    "disable" => SslMode.Disable,
                    "allow" => SslMode.Allow,
                    "prefer" => SslMode.Prefer,
                    "require" => SslMode.Require,
                    "verify-ca" => SslMode.VerifyCA,
                    "verify-full" => SslMode.VerifyFull,
                    _ => throw new FormatException($"The database URI has sslmode={value}; use disable, allow, prefer, require, verify-ca or verify-full."),
                };
                break;
            case "sslrootcert": b.RootCertificate = value; break;
            case "sslcert": b.SslCertificate = value; break;
            case "sslkey": b.SslKey = value; break;
            case "connect_timeout": b.Timeout = Number(key, value); break;
            case "application_name": b.ApplicationName = value; break;
            case "options": b.Options = value; break;
            case "target_session_attrs": b.TargetSessionAttributes = value; break;
            case "host": b.Host = value; break; // e.g. ?host=/var/run/postgresql for a unix socket
            case "port": b.Port = Port(value); break;
            case "user": b.Username = value; break;
            case "password": b.Password = value; break;
            case "dbname": b.Database = value; break;
            case var k when IgnoredParameters.Contains(k): break;
            default:
                throw new FormatException($"The database URI has the parameter '{key}', which this service does not know. " +
                    "Supported: sslmode, sslrootcert, sslcert, sslkey, connect_timeout, application_name, options, target_session_attrs, host, port, user, password, dbname.");
        }
    }

    private static int Number(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"The database URI has {key}={value}; it must be a whole number of seconds.");

    private static string Decode(string s) => Uri.UnescapeDataString(s);
}
