using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Qindex.Qumulo;

/// <summary>
/// One server-sent-events message: its data lines joined by '\n', or a comment. The data is kept
/// as the UTF-8 it arrived in (<see cref="DataUtf8"/>) and made a string only when asked for: a
/// notification payload is parsed from the bytes, and after a stalled stream one message holds up
/// to a thousand events (a string of it was about 4 percent of what a busy watcher allocated).
/// </summary>
public sealed class SseMessage
{
    private string? _data;

    public SseMessage(string? data, string? comment)
    {
        _data = data;
        DataUtf8 = data is null ? null : Encoding.UTF8.GetBytes(data);
        Comment = comment;
    }

    private SseMessage(byte[] dataUtf8)
    {
        DataUtf8 = dataUtf8;
    }

    /// <summary>The data as a string, or null for a comment.</summary>
    public string? Data => _data ??= DataUtf8 is null ? null : Encoding.UTF8.GetString(DataUtf8);

    /// <summary>The data as UTF-8, or null for a comment.</summary>
    public byte[]? DataUtf8 { get; }

    public string? Comment { get; }

    /// <summary>A data message holding <paramref name="utf8"/> (not copied).</summary>
    internal static SseMessage FromUtf8(byte[] utf8) => new(utf8);
}

/// <summary>
/// A server-sent-events message (or one line of it) grew past the reader's safety cap. The stream
/// cannot be followed past it without losing events, so the reader stops instead of dropping it.
/// Not an <see cref="IOException"/> on purpose: a reconnect would meet the same message again, so
/// it must not look like a dropped connection to the retry policy.
/// </summary>
public sealed class SseMessageTooLargeException : Exception
{
    public SseMessageTooLargeException(long limitBytes)
        : base($"A server-sent-events message exceeded the safety cap of {limitBytes:N0} bytes and was not dropped: the stream was stopped. "
            + "Raise the cap (QumuloConnection.MaxNotifyMessageBytes) if the cluster really sends messages this large.")
    {
        LimitBytes = limitBytes;
    }

    public SseMessageTooLargeException()
        : this(ServerSentEvents.DefaultMaxMessageBytes)
    {
    }

    public SseMessageTooLargeException(string message)
        : base(message)
    {
    }

    public SseMessageTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The cap that was exceeded, in bytes.</summary>
    public long LimitBytes { get; }
}

/// <summary>
/// Reads a <c>text/event-stream</c>: lines starting with ':' are comments (registration and
/// keep-alives); <c>data:</c> lines accumulate; a blank line ends a message. Other fields
/// (event, id, retry) are ignored, as the notify stream does not use them. Lines end with LF,
/// CRLF or CR, as the SSE specification allows.
/// </summary>
/// <remarks>
/// Nothing documents how many events a cluster puts in one message (the simulator's default is
/// 1,000, about 150 KB on one line), so lines have no fixed limit: the only bound is a safety cap
/// on a whole message (default 64 MiB), and reaching it fails loudly with
/// <see cref="SseMessageTooLargeException"/> rather than cutting or skipping the message.
/// </remarks>
public static class ServerSentEvents
{
    /// <summary>The default safety cap on one message: far above any batch seen, far below exhausting memory.</summary>
    public const int DefaultMaxMessageBytes = 64 * 1024 * 1024;

    public static IAsyncEnumerable<SseMessage> ReadAsync(Stream stream, CancellationToken cancellationToken) =>
        ReadAsync(stream, DefaultMaxMessageBytes, cancellationToken);

    /// <param name="stream">The response body.</param>
    /// <param name="maxMessageBytes">Safety cap on one message (its data lines together, or one line), in bytes.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public static async IAsyncEnumerable<SseMessage> ReadAsync(Stream stream, int maxMessageBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1);
        var input = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var line = new ByteBuffer();
        var data = new ByteBuffer();
        var hasData = false;
        var skipLf = false;
        try
        {
            while (true)
            {
                int read = await stream.ReadAsync(input, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    // A stream that ends mid-message loses nothing that was complete; a partial message is not an event.
                    yield break;
                }

                int start = 0;
                for (int i = 0; i < read; i++)
                {
                    byte b = input[i];
                    if (b is not ((byte)'\n' or (byte)'\r'))
                    {
                        continue;
                    }

                    if (skipLf && b == (byte)'\n' && i == start && line.Length == 0)
                    {
                        // The LF of a CRLF whose CR ended the previous chunk's line.
                        skipLf = false;
                        start = i + 1;
                        continue;
                    }

                    line.Append(input.AsSpan(start, i - start));
                    start = i + 1;
                    if (b == (byte)'\r')
                    {
                        if (i + 1 < read)
                        {
                            if (input[i + 1] == (byte)'\n')
                            {
                                i++;
                                start = i + 1;
                            }
                        }
                        else
                        {
                            skipLf = true;
                        }
                    }
                    else
                    {
                        skipLf = false;
                    }

                    CheckCap(line.Length + data.Length, maxMessageBytes);
                    var message = EndLine(line.Span, data, ref hasData);
                    line.Clear();
                    if (message is not null)
                    {
                        yield return message;
                    }
                }

                if (start < read)
                {
                    skipLf = false;
                    line.Append(input.AsSpan(start, read - start));
                    CheckCap(line.Length + data.Length, maxMessageBytes);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private static void CheckCap(long bytes, int maxMessageBytes)
    {
        if (bytes > maxMessageBytes)
        {
            throw new SseMessageTooLargeException(maxMessageBytes);
        }
    }

    /// <summary>Handles one complete line; returns the message it completes, if any.</summary>
    private static SseMessage? EndLine(ReadOnlySpan<byte> line, ByteBuffer data, ref bool hasData)
    {
        if (line.IsEmpty)
        {
            if (!hasData)
            {
                return null;
            }

            var bytes = data.Span.ToArray();
            data.Clear();
            hasData = false;
            return SseMessage.FromUtf8(bytes);
        }

        if (line[0] == (byte)':')
        {
            return new SseMessage(null, Encoding.UTF8.GetString(line[1..]).TrimStart());
        }

        int colon = line.IndexOf((byte)':');
        var field = colon < 0 ? line : line[..colon];
        if (!field.SequenceEqual("data"u8))
        {
            return null;
        }

        var value = colon < 0 ? [] : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }

        if (hasData)
        {
            data.Append("\n"u8);
        }

        data.Append(value);
        hasData = true;
        return null;
    }

    /// <summary>A growable byte buffer that keeps its array between lines, so a long stream of small messages allocates little.</summary>
    private sealed class ByteBuffer
    {
        private byte[]? _array;

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

        public void Append(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty)
            {
                return;
            }

            int needed = Length + bytes.Length;
            if (_array is null || needed > _array.Length)
            {
                var grown = new byte[Math.Max(needed, Math.Max(256, (_array?.Length ?? 0) * 2))];
                Span.CopyTo(grown);
                _array = grown;
            }

            bytes.CopyTo(_array.AsSpan(Length));
            Length = needed;
        }

        public void Clear()
        {
            Length = 0;
            if (_array is { Length: > 1024 * 1024 })
            {
                // Do not hold a huge batch's buffer for the rest of a long-lived stream.
                _array = null;
            }
        }
    }
}
