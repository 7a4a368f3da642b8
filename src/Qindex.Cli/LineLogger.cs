using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Qindex.Cli;

/// <summary>
/// Logs one line per message to standard error: text (time, level, message) or JSON lines
/// (<c>{"time","level","message"}</c> plus the message's named values) for log shippers.
/// Messages carry paths and counts, never credentials.
/// </summary>
internal sealed class LineLogger(bool json, LogLevel minimum) : ILogger
{
    private static readonly object Gate = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        string line;
        if (json)
        {
            var fields = new Dictionary<string, object?> { ["time"] = time, ["level"] = Level(logLevel), ["message"] = message };
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    if (key != "{OriginalFormat}")
                    {
                        fields[key] = value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString();
                    }
                }
            }

            if (exception is not null)
            {
                fields["error"] = exception.Message;
            }

            line = JsonSerializer.Serialize(fields);
        }
        else
        {
            line = $"{time} {Level(logLevel),-5} {message}{(exception is null ? string.Empty : " (" + exception.Message + ")")}";
        }

        lock (Gate)
        {
            Console.Error.WriteLine(line);
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "fatal",
    };
}
