using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AgentFactory.Hosting;

/// <summary>
/// The generic host logs "Hosting failed to start" with the whole exception (a 3 KB stack trace for a
/// port in use) before it rethrows to the command, which prints what happened and what to do. On the
/// console that report is left out; everything else the host logs (a faulted background service) stays.
/// </summary>
public static class StartFailureLogFilter
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>The host's HostedServiceStartupFaulted event.</summary>
    private const int StartupFaulted = 11;

    /// <summary>Wraps the console provider added before this call.</summary>
    public static ILoggingBuilder WithoutHostStartFailureReport(this ILoggingBuilder logging)
    {
        var console = logging.Services.FirstOrDefault(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        if (console is null) return logging;
        logging.Services.Remove(console);
        logging.Services.AddSingleton<ILoggerProvider>(sp => new Provider(new ConsoleLoggerProvider(
            sp.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), sp.GetServices<ConsoleFormatter>())));
        return logging;
    }

    private sealed class Provider(ConsoleLoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName)
        {
            var logger = inner.CreateLogger(categoryName);
            return categoryName == HostCategory ? new Filtered(logger) : logger;
        }

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => inner.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Filtered(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == StartupFaulted) return;
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
