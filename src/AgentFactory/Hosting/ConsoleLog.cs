using System.Collections;
using AgentFactory.Observability;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AgentFactory.Hosting;

/// <summary>
/// The service's console log (what the journal keeps), wrapped around the console provider: every
/// line — message, structured values (LOG_FORMAT=json) and exception text — goes through the
/// <see cref="SecretRedactor"/>, so a token in a remote URL or an agent's error is never written.
/// And the generic host's "Hosting failed to start" report (a 3 KB stack trace for a port in use) is
/// left out, because the command prints what happened and what to do; DEBUG keeps it.
/// </summary>
public static class ConsoleLog
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>The host's HostedServiceStartupFaulted event.</summary>
    private const int StartupFaulted = 11;

    /// <summary>Wraps the console provider added before this call.</summary>
    public static ILoggingBuilder RedactedConsole(this ILoggingBuilder logging, bool keepStartFailure)
    {
        var console = logging.Services.FirstOrDefault(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        if (console is null) return logging;
        logging.Services.Remove(console);
        logging.Services.AddSingleton<ILoggerProvider>(sp => new Provider(
            new ConsoleLoggerProvider(sp.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), sp.GetServices<ConsoleFormatter>()),
            sp.GetService<SecretRedactor>() ?? SecretRedactor.None, keepStartFailure));
        return logging;
    }

    private sealed class Provider(ConsoleLoggerProvider inner, SecretRedactor redactor, bool keepStartFailure) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) =>
            new Redacting(inner.CreateLogger(categoryName), redactor, !keepStartFailure && categoryName == HostCategory);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => inner.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Redacting(ILogger inner, SecretRedactor redactor, bool dropStartFailure) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (dropStartFailure && eventId.Id == StartupFaulted) return;
            if (!inner.IsEnabled(logLevel)) return;
            // The exception is written as redacted text in the message: its own ToString() could carry a URL with a token.
            var message = formatter(state, exception) + (exception is null ? "" : Environment.NewLine + exception);
            inner.Log(logLevel, eventId, new RedactedState(redactor.Redact(message), state as IReadOnlyList<KeyValuePair<string, object?>>, redactor), null,
                static (s, _) => s.Message);
        }
    }

    /// <summary>The structured values a JSON formatter writes, redacted like the message.</summary>
    private sealed class RedactedState(string message, IReadOnlyList<KeyValuePair<string, object?>>? values, SecretRedactor redactor)
        : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _values = values is null ? [] :
            [.. values.Select(v => v.Value is string text && v.Key != "{OriginalFormat}" ? new KeyValuePair<string, object?>(v.Key, redactor.Redact(text)) : v)];

        public string Message { get; } = message;

        public int Count => _values.Length;

        public KeyValuePair<string, object?> this[int index] => _values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}
