using System.Text.Json;

namespace Qindex.Qumulo;

/// <summary>
/// One change notification from <c>/v1/files/{ref}/notify</c>, with its path made absolute by
/// joining it onto the watched directory (directories end with '/').
/// </summary>
/// <param name="Type">The event type as sent (unknown types are kept, not dropped).</param>
/// <param name="Path">Absolute path of the object the event is about.</param>
/// <param name="RelativePath">The path exactly as the cluster sent it.</param>
/// <param name="Spine">File ids from the oldest ancestor to the object; the last is the object's id.</param>
/// <param name="StreamName">null for a file's default stream, otherwise the named stream.</param>
public sealed record Notification(string Type, string Path, string RelativePath, IReadOnlyList<string> Spine, string? StreamName)
{
    /// <summary>Every type QUMULO_API.md lists; anything else is unknown to this version of qindex.</summary>
    public static IReadOnlySet<string> KnownTypes => Known;

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "child_file_added", "child_dir_added", "child_file_removed", "child_dir_removed",
        "child_file_moved_from", "child_file_moved_to", "child_dir_moved_from", "child_dir_moved_to",
        "child_btime_changed", "child_mtime_changed", "child_atime_changed", "child_size_changed",
        "child_extra_attrs_changed", "child_acl_changed", "child_owner_changed", "child_group_changed",
        "child_data_written", "child_stream_added", "child_stream_removed", "child_stream_moved_from",
        "child_stream_moved_to", "child_stream_size_changed", "child_stream_data_written", "self_removed",
    };

    public bool IsKnownType => KnownTypes.Contains(Type);

    /// <summary>Directory events name directories; their absolute path ends with '/'.</summary>
    public static bool IsDirectoryEvent(string type) => type.StartsWith("child_dir_", StringComparison.Ordinal);

    /// <summary>
    /// Parses one SSE data payload (a JSON list of notifications). A payload that is not such a
    /// list throws <see cref="NotifyPayloadException"/> carrying the payload, so nothing is lost silently.
    /// </summary>
    public static IReadOnlyList<Notification> ParsePayload(string payload, string watchedPath)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return ParsePayload(System.Text.Encoding.UTF8.GetBytes(payload), watchedPath);
    }

    /// <summary>
    /// <see cref="ParsePayload(string, string)"/> for a payload given as the UTF-8 it arrived in:
    /// parsed without making a string of it (the error carries it as a string).
    /// </summary>
    public static IReadOnlyList<Notification> ParsePayload(ReadOnlyMemory<byte> utf8, string watchedPath)
    {
        string Payload() => System.Text.Encoding.UTF8.GetString(utf8.Span);

        // The parser checks UTF-8 only where it makes a string, and then throws an exception of
        // its own: checked here first, so bad bytes are a malformed payload like any other.
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            throw new NotifyPayloadException("the payload is not valid UTF-8", Payload());
        }

        try
        {
            using var document = JsonDocument.Parse(utf8);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new NotifyPayloadException("the payload is not a JSON list", Payload());
            }

            var result = new List<Notification>(document.RootElement.GetArrayLength());
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                    || !item.TryGetProperty("path", out var path) || path.ValueKind != JsonValueKind.String)
                {
                    throw new NotifyPayloadException("a notification lacks a string 'type' or 'path'", Payload());
                }

                var spine = new List<string>();
                if (item.TryGetProperty("spine", out var spineElement) && spineElement.ValueKind == JsonValueKind.Array)
                {
                    foreach (var id in spineElement.EnumerateArray())
                    {
                        spine.Add(id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText());
                    }
                }

                string? streamName = item.TryGetProperty("stream_name", out var stream) && stream.ValueKind == JsonValueKind.String
                    ? stream.GetString()
                    : null;
                // A known type is the one shared string: a burst holds hundreds of thousands of these.
                var typeName = type.GetString()!;
                if (Known.TryGetValue(typeName, out var shared))
                {
                    typeName = shared;
                }

                var relative = path.GetString()!;
                var absolute = FileRefs.JoinRelative(watchedPath, relative, IsDirectoryEvent(typeName) || typeName == "self_removed");
                result.Add(new Notification(typeName, absolute, relative, spine, streamName));
            }

            return result;
        }
        catch (JsonException e)
        {
            throw new NotifyPayloadException($"the payload is not valid JSON ({e.Message})", Payload());
        }
    }
}

/// <summary>A notify payload that could not be understood; <see cref="Payload"/> holds it verbatim.</summary>
public sealed class NotifyPayloadException : Exception
{
    public NotifyPayloadException(string reason, string payload)
        : base($"Malformed notify payload: {reason}: {Truncate(payload)}")
    {
        Payload = payload;
    }

    public NotifyPayloadException()
    {
        Payload = string.Empty;
    }

    public NotifyPayloadException(string message)
        : base(message)
    {
        Payload = string.Empty;
    }

    public NotifyPayloadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Payload = string.Empty;
    }

    public string Payload { get; }

    private static string Truncate(string payload) => payload.Length <= 200 ? payload : payload[..200] + "...";
}
