using System.Runtime.CompilerServices;
using System.Text;

namespace Qindex.Qumulo;

/// <summary>One server-sent-events message: its data lines joined by '\n', or a comment.</summary>
public sealed record SseMessage(string? Data, string? Comment);

/// <summary>
/// Reads a <c>text/event-stream</c>: lines starting with ':' are comments (registration and
/// keep-alives); <c>data:</c> lines accumulate; a blank line ends a message. Other fields
/// (event, id, retry) are ignored, as the notify stream does not use them.
/// </summary>
public static class ServerSentEvents
{
    public static async IAsyncEnumerable<SseMessage> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024);
        StringBuilder? data = null;
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                // A stream that ends mid-message loses nothing that was complete; a partial message is not an event.
                yield break;
            }

            if (line.Length == 0)
            {
                if (data is not null)
                {
                    yield return new SseMessage(data.ToString(), null);
                    data = null;
                }

                continue;
            }

            if (line[0] == ':')
            {
                yield return new SseMessage(null, line[1..].TrimStart());
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            if (field != "data")
            {
                continue;
            }

            var value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            if (data is null)
            {
                data = new StringBuilder(value);
            }
            else
            {
                data.Append('\n').Append(value);
            }
        }
    }
}
