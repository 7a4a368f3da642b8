using System.Text.Json;

namespace Qindex.Iceberg.Spec;

/// <summary>The operations a snapshot summary names (spec: "Snapshots").</summary>
public static class SnapshotOperations
{
    public const string Append = "append";
    public const string Replace = "replace";
    public const string Overwrite = "overwrite";
    public const string Delete = "delete";
}

/// <summary>A table snapshot: the state of the table at some time, through its manifest list.</summary>
public sealed record Snapshot(
    long SnapshotId,
    long? ParentSnapshotId,
    long SequenceNumber,
    long TimestampMs,
    string ManifestList,
    IReadOnlyDictionary<string, string> Summary,
    int? SchemaId)
{
    /// <summary>The snapshot's operation from its summary.</summary>
    public string Operation => Summary.TryGetValue("operation", out var op) ? op : SnapshotOperations.Append;

    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs);

    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("snapshot-id", SnapshotId);
        if (ParentSnapshotId is { } parent)
        {
            writer.WriteNumber("parent-snapshot-id", parent);
        }

        writer.WriteNumber("sequence-number", SequenceNumber);
        writer.WriteNumber("timestamp-ms", TimestampMs);
        writer.WriteString("manifest-list", ManifestList);
        var summary = new Dictionary<string, string>(Summary, StringComparer.Ordinal);
        summary.TryAdd("operation", SnapshotOperations.Append);
        writer.WriteStartObject("summary");
        writer.WriteString("operation", summary["operation"]);
        foreach (var (key, value) in summary.Where(p => p.Key != "operation").OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
        if (SchemaId is { } schema)
        {
            writer.WriteNumber("schema-id", schema);
        }

        writer.WriteEndObject();
    }

    public static Snapshot Parse(JsonElement element)
    {
        if (!element.TryGetProperty("manifest-list", out var list))
        {
            throw new IcebergException($"snapshot {Json.Long(element, "snapshot-id")} has no manifest-list (format v1 'manifests' is not supported)");
        }

        return new Snapshot(
            Json.Long(element, "snapshot-id"),
            Json.OptionalLong(element, "parent-snapshot-id"),
            Json.OptionalLong(element, "sequence-number") ?? 0,
            Json.Long(element, "timestamp-ms"),
            list.GetString()!,
            Json.StringMap(element, "summary"),
            element.TryGetProperty("schema-id", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : null);
    }
}
