using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Qindex.Qumulo.Retry;

namespace Qindex.Qumulo;

/// <summary>An identity as <c>owner_details</c> / <c>group_details</c> give it, e.g. (<c>NFS_UID</c>, <c>"1001"</c>).</summary>
public sealed record FileIdentity(string IdType, string IdValue);

/// <summary>
/// The fields of a <c>PATCH info/attributes</c>; null fields are not sent and stay unchanged.
/// Times are RFC 3339 strings so nanoseconds survive; <see cref="Mode"/> is octal such as <c>"0644"</c>.
/// <see cref="ExtendedAttributes"/> holds only the flags to change (e.g. <c>hidden</c> = true).
/// </summary>
public sealed record AttributeChanges
{
    public string? Mode { get; init; }
    public string? Owner { get; init; }
    public string? Group { get; init; }
    public FileIdentity? OwnerDetails { get; init; }
    public FileIdentity? GroupDetails { get; init; }
    public long? Size { get; init; }
    public string? AccessTime { get; init; }
    public string? ModificationTime { get; init; }
    public string? ChangeTime { get; init; }
    public string? CreationTime { get; init; }
    public IReadOnlyDictionary<string, bool>? ExtendedAttributes { get; init; }
}

/// <summary>A named (alternate data) stream of a file, as <c>/v1/files/{ref}/streams/</c> lists it.</summary>
public sealed record StreamInfo(string Id, string Name, long Size);

/// <content>
/// Changing the tree: creates, renames, data writes, attribute changes, deletes and named streams.
/// Creates, renames and deletes are retried only after a 429 or 503, which refuse the request
/// before it acts, not after a dropped connection (a retry after a lost answer could act twice);
/// data writes and attribute changes are retried either way, since repeating them gives the same result.
/// </content>
public sealed partial class QumuloClient
{
    /// <summary>CREATE_FILE in <paramref name="parent"/> (id or absolute path); returns the new file's attributes.</summary>
    public Task<JsonElement> CreateFileAsync(string parent, string name, CancellationToken cancellationToken) =>
        CreateEntryAsync(parent, name, "CREATE_FILE", null, null, cancellationToken);

    /// <summary>CREATE_DIRECTORY in <paramref name="parent"/>; returns the new directory's attributes.</summary>
    public Task<JsonElement> CreateDirectoryAsync(string parent, string name, CancellationToken cancellationToken) =>
        CreateEntryAsync(parent, name, "CREATE_DIRECTORY", null, null, cancellationToken);

    /// <summary>CREATE_SYMLINK: a symlink named <paramref name="name"/> whose target text is <paramref name="target"/>.</summary>
    public Task<JsonElement> CreateSymlinkAsync(string parent, string name, string target, CancellationToken cancellationToken) =>
        CreateEntryAsync(parent, name, "CREATE_SYMLINK", target, null, cancellationToken);

    /// <summary>CREATE_LINK: a new name (hard link) for the existing non-directory at <paramref name="existingPath"/>.</summary>
    public Task<JsonElement> CreateLinkAsync(string parent, string name, string existingPath, CancellationToken cancellationToken) =>
        CreateEntryAsync(parent, name, "CREATE_LINK", existingPath, null, cancellationToken);

    /// <summary>
    /// RENAME: moves the entry at <paramref name="oldPath"/> (absolute) to <paramref name="parent"/>/<paramref name="name"/>.
    /// With <paramref name="clobber"/> an existing destination is replaced.
    /// </summary>
    public Task<JsonElement> RenameAsync(string parent, string name, string oldPath, bool clobber, CancellationToken cancellationToken) =>
        CreateEntryAsync(parent, name, "RENAME", oldPath, clobber, cancellationToken);

    /// <summary>PUT data: the file's contents become <paramref name="data"/>. Returns the file's attributes.</summary>
    public Task<JsonElement> ReplaceDataAsync(string idOrPath, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        SendBytesAsync(HttpMethod.Put, $"v1/files/{FileRefs.Encode(idOrPath)}/data", data, cancellationToken);

    /// <summary>PATCH data: writes <paramref name="data"/> at <paramref name="offset"/>; the file grows if needed.</summary>
    public Task<JsonElement> WriteDataAsync(string idOrPath, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return SendBytesAsync(HttpMethod.Patch, $"v1/files/{FileRefs.Encode(idOrPath)}/data?offset={offset.ToString(CultureInfo.InvariantCulture)}", data, cancellationToken);
    }

    /// <summary>PATCH info/attributes with the non-null fields of <paramref name="changes"/>; returns the updated attributes.</summary>
    public async Task<JsonElement> PatchAttributesAsync(string idOrPath, AttributeChanges changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var body = JsonBody(w => WriteChanges(w, changes));
        return await SendJsonAsync(HttpMethod.Patch, $"v1/files/{FileRefs.Encode(idOrPath)}/info/attributes", body, RetryOn.RefusalsAndDroppedConnections, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DELETE: removes a file (one of its names) or an empty directory.</summary>
    public async Task DeleteAsync(string idOrPath, CancellationToken cancellationToken)
    {
        var url = $"v1/files/{FileRefs.Encode(idOrPath)}";
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, url), authenticated: true, RetryOn.Refusals, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The named streams of a file.</summary>
    public async Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(string idOrPath, CancellationToken cancellationToken)
    {
        var root = await GetJsonAsync($"v1/files/{FileRefs.Encode(idOrPath)}/streams/", cancellationToken).ConfigureAwait(false);
        return root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().Select(ParseStream).ToList() : [];
    }

    /// <summary>Creates an empty named stream on a file; the answer's <see cref="StreamInfo.Id"/> names it in later calls.</summary>
    public async Task<StreamInfo> CreateStreamAsync(string idOrPath, string streamName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        var body = JsonBody(w =>
        {
            w.WriteStartObject();
            w.WriteString("stream_name", streamName);
            w.WriteEndObject();
        });
        return ParseStream(await SendJsonAsync(HttpMethod.Post, $"v1/files/{FileRefs.Encode(idOrPath)}/streams/", body, RetryOn.Refusals, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Replaces a named stream's contents with <paramref name="data"/>.</summary>
    public async Task<StreamInfo> ReplaceStreamDataAsync(string idOrPath, string streamId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ParseStream(await SendBytesAsync(HttpMethod.Put, $"{StreamUrl(idOrPath, streamId)}/data", data, cancellationToken).ConfigureAwait(false));

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> of a named stream.</summary>
    public async Task<StreamInfo> WriteStreamAsync(string idOrPath, string streamId, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return ParseStream(await SendBytesAsync(HttpMethod.Patch, $"{StreamUrl(idOrPath, streamId)}/data?offset={offset.ToString(CultureInfo.InvariantCulture)}", data, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Removes a named stream.</summary>
    public async Task DeleteStreamAsync(string idOrPath, string streamId, CancellationToken cancellationToken)
    {
        var url = StreamUrl(idOrPath, streamId);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, url), authenticated: true, RetryOn.Refusals, cancellationToken).ConfigureAwait(false);
    }

    private static string StreamUrl(string idOrPath, string streamId)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        return $"v1/files/{FileRefs.Encode(idOrPath)}/streams/{Uri.EscapeDataString(streamId)}";
    }

    private async Task<JsonElement> CreateEntryAsync(string parent, string name, string action, string? oldPath, bool? clobber, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var body = JsonBody(w =>
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("action", action);
            if (oldPath is not null)
            {
                w.WriteString("old_path", oldPath);
            }

            if (clobber is { } value)
            {
                w.WriteBoolean("clobber", value);
            }

            w.WriteEndObject();
        });
        return await SendJsonAsync(HttpMethod.Post, $"v1/files/{FileRefs.Encode(parent)}/entries/", body, RetryOn.Refusals, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonElement> SendJsonAsync(HttpMethod method, string url, byte[] body, RetryOn retryOn, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(method, url) { Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } } },
            authenticated: true,
            retryOn,
            cancellationToken).ConfigureAwait(false);
        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return document.RootElement.Clone();
    }

    private async Task<JsonElement> SendBytesAsync(HttpMethod method, string url, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(method, url) { Content = new ReadOnlyMemoryContent(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } } },
            authenticated: true,
            RetryOn.RefusalsAndDroppedConnections,
            cancellationToken).ConfigureAwait(false);
        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return document.RootElement.Clone();
    }

    private static byte[] JsonBody(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteChanges(Utf8JsonWriter w, AttributeChanges c)
    {
        w.WriteStartObject();
        WriteIfSet(w, "mode", c.Mode);
        WriteIfSet(w, "owner", c.Owner);
        WriteIfSet(w, "group", c.Group);
        WriteIdentity(w, "owner_details", c.OwnerDetails);
        WriteIdentity(w, "group_details", c.GroupDetails);
        WriteIfSet(w, "size", c.Size?.ToString(CultureInfo.InvariantCulture));
        WriteIfSet(w, "access_time", c.AccessTime);
        WriteIfSet(w, "modification_time", c.ModificationTime);
        WriteIfSet(w, "change_time", c.ChangeTime);
        WriteIfSet(w, "creation_time", c.CreationTime);
        if (c.ExtendedAttributes is { } flags)
        {
            w.WriteStartObject("extended_attributes");
            foreach (var (flag, on) in flags)
            {
                w.WriteBoolean(flag, on);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteIdentity(Utf8JsonWriter w, string name, FileIdentity? identity)
    {
        if (identity is null)
        {
            return;
        }

        w.WriteStartObject(name);
        w.WriteString("id_type", identity.IdType);
        w.WriteString("id_value", identity.IdValue);
        w.WriteEndObject();
    }

    private static StreamInfo ParseStream(JsonElement e) => new(
        e.GetProperty("id").GetString() ?? string.Empty,
        e.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : string.Empty,
        e.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.String ? long.Parse(s.GetString()!, CultureInfo.InvariantCulture) : 0);
}
