using AgentFactory.Hosting;
using AgentFactory.Queue.Postgres;
using Npgsql;

namespace AgentFactory.Tests.Postgres;

/// <summary>DATABASE_URL in both forms users paste: libpq URIs (Supabase's "Connect" dialog) and Npgsql keyword strings. No server needed.</summary>
public sealed class PostgresConnectionStringTests
{
    [Theory]
    [InlineData("postgresql://app@db.example.org:5432/queue", 32)]
    [InlineData("postgresql://app@aws-0-eu.pooler.supabase.com:6543/postgres", 0)] // transaction-mode pooler
    [InlineData("postgresql://app@pgbouncer.internal:5432/queue?pgbouncer=true", 0)]
    [InlineData("Host=db.example.org;Username=app;Max Auto Prepare=0", 0)] // the user's own setting wins
    [InlineData("Host=db.example.org;Username=app;Max Auto Prepare=5", 5)]
    public void Statements_are_prepared_automatically_except_through_a_transaction_pooler_or_against_the_users_setting(string url, int expected)
    {
        var b = PostgresConnectionString.Parse(url);
        PostgresConnectionString.EnableAutoPrepare(url, b);
        Assert.Equal(expected, b.MaxAutoPrepare);
    }

    [Fact]
    public void Database_listen_false_also_means_no_prepared_statements()
    {
        const string url = "postgresql://app@pooler.internal:5432/queue";
        var b = PostgresConnectionString.Parse(url);
        PostgresConnectionString.EnableAutoPrepare(url, b, listenSetting: false);
        Assert.Equal(0, b.MaxAutoPrepare);
    }

    [Fact]
    public void Uri_with_every_part_becomes_the_same_npgsql_settings()
    {
        var b = PostgresConnectionString.Parse("postgresql://app:s3cret@db.example.org:5433/queue?sslmode=require&application_name=af&connect_timeout=7");
        Assert.Equal("db.example.org", b.Host);
        Assert.Equal(5433, b.Port);
        Assert.Equal("queue", b.Database);
        Assert.Equal("app", b.Username);
        Assert.Equal("s3cret", b.Password);
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal("af", b.ApplicationName);
        Assert.Equal(7, b.Timeout);
    }

    [Fact]
    public void Percent_encoded_and_raw_special_characters_in_the_password_are_kept()
    {
        Assert.Equal("p@ss:w/rd?", PostgresConnectionString.Parse("postgres://u:p%40ss%3Aw%2Frd%3F@h/db").Password);
        Assert.Equal("p@ss", PostgresConnectionString.Parse("postgres://u:p@ss@h:5432/db").Password);
    }

    [Fact]
    public void Uri_without_port_or_database_uses_postgres_defaults()
    {
        var b = PostgresConnectionString.Parse("postgres://me@localhost");
        Assert.Equal("localhost", b.Host);
        Assert.Equal(5432, b.Port);
        Assert.Null(b.Database);
        Assert.Null(b.Password);
    }

    [Fact]
    public void Ipv6_host_and_unix_socket_host_parameter_are_understood()
    {
        var v6 = PostgresConnectionString.Parse("postgresql://u:p@[::1]:6000/db");
        Assert.Equal("::1", v6.Host);
        Assert.Equal(6000, v6.Port);
        Assert.Equal("/var/run/postgresql", PostgresConnectionString.Parse("postgresql:///db?host=/var/run/postgresql").Host);
    }

    [Fact]
    public void Keyword_string_is_taken_as_is()
    {
        var b = PostgresConnectionString.Parse("Host=10.0.0.5;Port=5444;Username=svc;Password=pw;Database=jobs");
        Assert.Equal(("10.0.0.5", 5444, "svc", "pw", "jobs"), (b.Host, b.Port, b.Username, b.Password, b.Database));
        Assert.Equal(SslMode.Prefer, b.SslMode);
    }

    [Theory]
    [InlineData("postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres")]
    [InlineData("postgresql://postgres.abcdefghijklmnop:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres")]
    [InlineData("Host=db.abcdefghijklmnop.supabase.co;Username=postgres;Password=pw;Database=postgres")]
    public void Supabase_host_requires_ssl_by_default(string value) =>
        Assert.Equal(SslMode.Require, PostgresConnectionString.Parse(value).SslMode);

    [Theory]
    [InlineData("postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres?sslmode=verify-full")]
    [InlineData("Host=db.abcdefghijklmnop.supabase.co;Username=postgres;SSL Mode=VerifyFull")]
    public void An_explicit_ssl_mode_wins_over_the_supabase_default(string value) =>
        Assert.Equal(SslMode.VerifyFull, PostgresConnectionString.Parse(value).SslMode);

    [Fact]
    public void Prisma_style_hints_are_ignored_but_unknown_parameters_are_named()
    {
        Assert.Equal("h", PostgresConnectionString.Parse("postgresql://u:p@h:6543/db?pgbouncer=true&connection_limit=1").Host);
        var e = Assert.Throws<FormatException>(() => PostgresConnectionString.Parse("postgresql://u:p@h/db?colour=blue"));
        Assert.Contains("colour", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://u:secretpw@h:99999/db", "port")]
    [InlineData("postgresql://u:secretpw@h/db?sslmode=sometimes", "sslmode")]
    [InlineData("Hots=h;Password=secretpw", "keyword")]
    [InlineData("postgresql://u:secretpw@/db", "host")]
    public void Bad_strings_are_rejected_with_a_reason_that_never_shows_the_password(string value, string mentions)
    {
        var e = Assert.Throws<FormatException>(() => PostgresConnectionString.Parse(value));
        Assert.Contains(mentions, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secretpw", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres", true, true)]
    [InlineData("postgresql://u:p@pgbouncer.internal:6432/db?pgbouncer=true", true, true)]
    [InlineData("postgresql://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres", true, false)] // session pooler
    [InlineData("postgresql://postgres:pw@db.ref.supabase.co:5432/postgres", true, false)]
    [InlineData("postgresql://u:p@localhost/db", false, true)] // DATABASE_LISTEN=false
    public void Listen_is_given_up_only_behind_a_transaction_pooler_or_when_switched_off(string value, bool listenSetting, bool givenUp) =>
        Assert.Equal(givenUp, PostgresConnectionString.ListenUnavailableReason(value, PostgresConnectionString.Parse(value), listenSetting) is not null);

    [Theory]
    [InlineData("postgresql://u:p@h/db", PostgresConnectionString.DefaultConnectTimeoutSeconds)]
    [InlineData("postgresql://u:p@h/db?connect_timeout=20", 20)]
    [InlineData("Host=h;Username=u;Command Timeout=60", PostgresConnectionString.DefaultConnectTimeoutSeconds)]
    [InlineData("Host=h;Username=u;Timeout=12", 12)]
    public void Connect_timeout_defaults_to_five_seconds_unless_given(string value, int expected) =>
        Assert.Equal(expected, PostgresConnectionString.Parse(value).Timeout);

    [Fact]
    public void Describe_names_host_port_database_and_user_but_not_the_password()
    {
        var text = PostgresConnectionString.Describe(PostgresConnectionString.Parse("postgresql://svc:topsecret@db.internal:5432/jobs"));
        Assert.Equal("db.internal:5432/jobs as svc", text);
    }

    [Fact]
    public void Settings_reject_a_bad_database_url_naming_the_variable()
    {
        var env = new Dictionary<string, string> { ["SUPABASE_DB_URL"] = "postgresql://u:p@h:notaport/db" };
        var e = Assert.Throws<SettingsException>(() => SettingsLoader.Load(k => env.GetValueOrDefault(k), createSecrets: false));
        Assert.Contains("SUPABASE_DB_URL", e.Message, StringComparison.Ordinal);
    }
}
