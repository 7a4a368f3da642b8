using System.Text.Json;
using Qindex.Index.Records;

namespace Qindex.Index.Import;

/// <summary>
/// Reads NDJSON attribute objects (the tree walker's --json --all-attributes output) line by line
/// in bounded memory. A line may hold the attribute object itself or wrap it in an object whose
/// member holds it; bad lines are reported with their line number, never fatal.
/// </summary>
public static class NdjsonReader
{
    /// <summary>Reads <paramref name="path"/>, calling <paramref name="onRecord"/> per good line and <paramref name="onBad"/> per bad one.</summary>
    public static async Task ReadAsync(
        string path,
        DateTimeOffset ingestTs,
        Func<FileRecord, ValueTask> onRecord,
        Action<BadInput> onBad,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onRecord);
        ArgumentNullException.ThrowIfNull(onBad);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var buffer = new byte[1 << 20];
        var filled = 0;
        long lineNumber = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (filled == buffer.Length)
            {
                // One line longer than the buffer: grow, since a line is one object and must be whole.
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            var end = filled + read;
            var start = 0;
            while (true)
            {
                var nl = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (nl < 0)
                {
                    break;
                }

                lineNumber++;
                var record = ParseLine(buffer.AsSpan(start, nl - start), path, lineNumber, ingestTs, onBad);
                if (record is not null)
                {
                    await onRecord(record).ConfigureAwait(false);
                }

                start = nl + 1;
            }

            if (read == 0)
            {
                if (start < end)
                {
                    lineNumber++;
                    var record = ParseLine(buffer.AsSpan(start, end - start), path, lineNumber, ingestTs, onBad);
                    if (record is not null)
                    {
                        await onRecord(record).ConfigureAwait(false);
                    }
                }

                return;
            }

            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            filled = end - start;
        }
    }

    private static FileRecord? ParseLine(ReadOnlySpan<byte> line, string path, long lineNumber, DateTimeOffset ingestTs, Action<BadInput> onBad)
    {
        line = line.Trim((byte)'\r').Trim(" \t"u8);
        if (line.IsEmpty)
        {
            return null;
        }

        try
        {
            try
            {
                return FileRecordParser.Parse(line, ingestTs);
            }
            catch (FileRecordFormatException e) when (e.Field == "path" && e.Value is null)
            {
                var wrapped = ParseWrapped(line, ingestTs);
                if (wrapped is null)
                {
                    throw;
                }

                return wrapped;
            }
        }
        catch (FileRecordFormatException e)
        {
            onBad(new BadInput(path, lineNumber, e.Message));
        }
        catch (JsonException e)
        {
            onBad(new BadInput(path, lineNumber, "malformed JSON: " + e.Message));
        }

        return null;
    }

    private static FileRecord? ParseWrapped(ReadOnlySpan<byte> line, DateTimeOffset ingestTs)
    {
        var reader = new Utf8JsonReader(line);
        using var doc = JsonDocument.ParseValue(ref reader);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var member in doc.RootElement.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.Object && member.Value.TryGetProperty("path", out _))
            {
                return FileRecordParser.Parse(member.Value, ingestTs);
            }
        }

        return null;
    }
}
