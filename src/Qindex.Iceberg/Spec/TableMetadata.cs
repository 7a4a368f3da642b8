using System.Text.Json;

namespace Qindex.Iceberg.Spec;

/// <summary>An entry of the snapshot log: when a snapshot became current.</summary>
public sealed record SnapshotLogEntry(long TimestampMs, long SnapshotId);

/// <summary>An entry of the metadata log: an earlier metadata file of the table.</summary>
public sealed record MetadataLogEntry(long TimestampMs, string MetadataFile);

/// <summary>
/// Table metadata, format version 2 (spec: "Table Metadata"): the immutable document a catalog
/// points at. Every change produces a new one, written to a new file, then swapped in by the catalog.
/// </summary>
public sealed record TableMetadata
{
    /// <summary>How many earlier metadata files the metadata log keeps.</summary>
    public const int MetadataLogLimit = 100;

    public int FormatVersion { get; init; } = 2;

    public required Guid TableUuid { get; init; }

    public required string Location { get; init; }

    public long LastSequenceNumber { get; init; }

    public long LastUpdatedMs { get; init; }

    public int LastColumnId { get; init; }

    public required IReadOnlyList<Schema> Schemas { get; init; }

    public int CurrentSchemaId { get; init; }

    public int DefaultSpecId { get; init; } = PartitionSpec.UnpartitionedSpecId;

    public int LastPartitionId { get; init; } = PartitionSpec.UnpartitionedLastPartitionId;

    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    public long? CurrentSnapshotId { get; init; }

    public IReadOnlyList<Snapshot> Snapshots { get; init; } = [];

    public IReadOnlyList<SnapshotLogEntry> SnapshotLog { get; init; } = [];

    public IReadOnlyList<MetadataLogEntry> MetadataLog { get; init; } = [];

    public IReadOnlyList<SortOrder> SortOrders { get; init; } = [SortOrder.Unsorted];

    public int DefaultSortOrderId { get; init; }

    /// <summary>References other than <c>main</c> (tags, other branches), by name, as other tools wrote them.</summary>
    public IReadOnlyDictionary<string, SnapshotRef> OtherRefs { get; init; } = new Dictionary<string, SnapshotRef>();

    /// <summary>The <c>partition-specs</c> array as read (null: qindex's single unpartitioned spec).</summary>
    public JsonElement? PartitionSpecsJson { get; init; }

    /// <summary>The <c>statistics</c> entries (Puffin files), each naming its snapshot.</summary>
    public IReadOnlyList<JsonElement> Statistics { get; init; } = [];

    /// <summary>The <c>partition-statistics</c> entries, each naming its snapshot.</summary>
    public IReadOnlyList<JsonElement> PartitionStatistics { get; init; } = [];

    /// <summary>Top-level keys qindex does not model, written back unchanged.</summary>
    public IReadOnlyDictionary<string, JsonElement> OtherFields { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>Every snapshot a reference (main, a tag, a branch) points at: expiry must keep them.</summary>
    public IReadOnlySet<long> ReferencedSnapshotIds =>
        OtherRefs.Values.Select(r => r.SnapshotId).Concat(CurrentSnapshotId is { } id ? [id] : []).ToHashSet();

    /// <summary>The current schema.</summary>
    public Schema CurrentSchema => Schemas.FirstOrDefault(s => s.SchemaId == CurrentSchemaId)
        ?? throw new IcebergException($"table metadata names current schema {CurrentSchemaId}, which it does not hold");

    /// <summary>The current snapshot, or null for a table without data.</summary>
    public Snapshot? CurrentSnapshot => CurrentSnapshotId is { } id ? Snapshots.FirstOrDefault(s => s.SnapshotId == id) : null;

    /// <summary>Metadata for a new, empty table.</summary>
    public static TableMetadata Create(string location, Schema schema, SortOrder sortOrder, IReadOnlyDictionary<string, string> properties, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(sortOrder);
        return new TableMetadata
        {
            TableUuid = Guid.NewGuid(),
            Location = location.TrimEnd('/'),
            LastUpdatedMs = now.ToUnixTimeMilliseconds(),
            LastColumnId = schema.HighestFieldId,
            Schemas = [schema with { SchemaId = 0 }],
            CurrentSchemaId = 0,
            Properties = properties,
            SortOrders = sortOrder.OrderId == 0 ? [SortOrder.Unsorted] : [SortOrder.Unsorted, sortOrder],
            DefaultSortOrderId = sortOrder.OrderId,
        };
    }

    /// <summary>The metadata with <paramref name="snapshot"/> added (not yet current).</summary>
    public TableMetadata AddSnapshot(Snapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.SequenceNumber != LastSequenceNumber + 1)
        {
            throw new CommitConflictException($"snapshot sequence number {snapshot.SequenceNumber} does not follow the table's {LastSequenceNumber}");
        }

        if (Snapshots.Any(s => s.SnapshotId == snapshot.SnapshotId))
        {
            throw new IcebergException($"snapshot {snapshot.SnapshotId} already exists");
        }

        return this with
        {
            LastSequenceNumber = snapshot.SequenceNumber,
            LastUpdatedMs = now.ToUnixTimeMilliseconds(),
            Snapshots = [.. Snapshots, snapshot],
        };
    }

    /// <summary>The metadata with the main branch at <paramref name="snapshotId"/>.</summary>
    public TableMetadata SetCurrentSnapshot(long snapshotId, DateTimeOffset now)
    {
        var snapshot = Snapshots.FirstOrDefault(s => s.SnapshotId == snapshotId)
            ?? throw new IcebergException($"cannot make unknown snapshot {snapshotId} current");
        return this with
        {
            CurrentSnapshotId = snapshotId,
            LastUpdatedMs = now.ToUnixTimeMilliseconds(),
            SnapshotLog = [.. SnapshotLog, new SnapshotLogEntry(Math.Max(snapshot.TimestampMs, now.ToUnixTimeMilliseconds()), snapshotId)],
        };
    }

    /// <summary>The metadata without the snapshots in <paramref name="snapshotIds"/> (never the current one).</summary>
    public TableMetadata RemoveSnapshots(IReadOnlySet<long> snapshotIds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshotIds);
        if (CurrentSnapshotId is { } current && snapshotIds.Contains(current))
        {
            throw new IcebergException($"snapshot {current} is current and cannot be expired");
        }

        return this with
        {
            LastUpdatedMs = now.ToUnixTimeMilliseconds(),
            Snapshots = Snapshots.Where(s => !snapshotIds.Contains(s.SnapshotId)).ToList(),
            SnapshotLog = SnapshotLog.Where(s => !snapshotIds.Contains(s.SnapshotId)).ToList(),
            OtherRefs = OtherRefs.Where(r => !snapshotIds.Contains(r.Value.SnapshotId)).ToDictionary(StringComparer.Ordinal),
            Statistics = Statistics.Where(e => !snapshotIds.Contains(Json.Long(e, "snapshot-id"))).ToList(),
            PartitionStatistics = PartitionStatistics.Where(e => !snapshotIds.Contains(Json.Long(e, "snapshot-id"))).ToList(),
        };
    }

    /// <summary>The metadata with <paramref name="updates"/> applied to its properties.</summary>
    public TableMetadata SetProperties(IReadOnlyDictionary<string, string> updates, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(updates);
        var properties = new Dictionary<string, string>(Properties, StringComparer.Ordinal);
        foreach (var (key, value) in updates)
        {
            properties[key] = value;
        }

        return this with { Properties = properties, LastUpdatedMs = now.ToUnixTimeMilliseconds() };
    }

    /// <summary>
    /// The metadata with <paramref name="previous"/>'s file (at <paramref name="previousMetadataFile"/>)
    /// appended to the metadata log, which keeps at most <see cref="MetadataLogLimit"/> entries.
    /// </summary>
    public TableMetadata WithPreviousMetadata(TableMetadata previous, string? previousMetadataFile)
    {
        ArgumentNullException.ThrowIfNull(previous);
        return previousMetadataFile is null
            ? this
            : this with { MetadataLog = [.. MetadataLog.TakeLast(MetadataLogLimit - 1), new MetadataLogEntry(previous.LastUpdatedMs, previousMetadataFile)] };
    }

    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("format-version", FormatVersion);
        writer.WriteString("table-uuid", TableUuid.ToString("D"));
        writer.WriteString("location", Location);
        writer.WriteNumber("last-sequence-number", LastSequenceNumber);
        writer.WriteNumber("last-updated-ms", LastUpdatedMs);
        writer.WriteNumber("last-column-id", LastColumnId);
        writer.WriteNumber("current-schema-id", CurrentSchemaId);
        writer.WriteStartArray("schemas");
        foreach (var schema in Schemas)
        {
            schema.WriteJson(writer);
        }

        writer.WriteEndArray();
        writer.WriteNumber("default-spec-id", DefaultSpecId);
        if (PartitionSpecsJson is { } specs)
        {
            writer.WritePropertyName("partition-specs");
            specs.WriteTo(writer);
        }
        else
        {
            writer.WriteStartArray("partition-specs");
            PartitionSpec.WriteUnpartitioned(writer);
            writer.WriteEndArray();
        }

        writer.WriteNumber("last-partition-id", LastPartitionId);
        writer.WriteNumber("default-sort-order-id", DefaultSortOrderId);
        writer.WriteStartArray("sort-orders");
        foreach (var order in SortOrders)
        {
            order.WriteJson(writer);
        }

        writer.WriteEndArray();
        Json.WriteStringMap(writer, "properties", Properties);
        writer.WriteNumber("current-snapshot-id", CurrentSnapshotId ?? -1);
        writer.WriteStartObject("refs");
        if (CurrentSnapshotId is { } current)
        {
            writer.WriteStartObject("main");
            writer.WriteNumber("snapshot-id", current);
            writer.WriteString("type", "branch");
            writer.WriteEndObject();
        }

        foreach (var (name, reference) in OtherRefs.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(name);
            reference.Json.WriteTo(writer);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("snapshots");
        foreach (var snapshot in Snapshots)
        {
            snapshot.WriteJson(writer);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("snapshot-log");
        foreach (var entry in SnapshotLog)
        {
            writer.WriteStartObject();
            writer.WriteNumber("timestamp-ms", entry.TimestampMs);
            writer.WriteNumber("snapshot-id", entry.SnapshotId);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("metadata-log");
        foreach (var entry in MetadataLog)
        {
            writer.WriteStartObject();
            writer.WriteNumber("timestamp-ms", entry.TimestampMs);
            writer.WriteString("metadata-file", entry.MetadataFile);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteArray(writer, "statistics", Statistics);
        WriteArray(writer, "partition-statistics", PartitionStatistics);
        foreach (var (name, value) in OtherFields)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IReadOnlyList<JsonElement> elements)
    {
        if (elements.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var element in elements)
        {
            element.WriteTo(writer);
        }

        writer.WriteEndArray();
    }

    /// <summary>The top-level keys this type models; any other key is kept in <see cref="OtherFields"/>.</summary>
    private static readonly HashSet<string> ModeledKeys = new(StringComparer.Ordinal)
    {
        "format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms", "last-column-id",
        "current-schema-id", "schemas", "schema", "default-spec-id", "partition-specs", "partition-spec", "last-partition-id",
        "default-sort-order-id", "sort-orders", "properties", "current-snapshot-id", "refs", "snapshots", "snapshot-log",
        "metadata-log", "statistics", "partition-statistics",
    };

    /// <summary>The metadata as the bytes of a metadata file.</summary>
    public byte[] ToJsonBytes() => Json.WriteBytes(WriteJson, indented: true);

    private static List<JsonElement> ArrayOf(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().Select(e => e.Clone()).ToList() : [];

    /// <summary>Parses a metadata file.</summary>
    /// <exception cref="IcebergException">Not format v2 metadata this implementation can use.</exception>
    public static TableMetadata Parse(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        var root = doc.RootElement;
        int version = Json.Int(root, "format-version");
        if (version != 2)
        {
            throw new IcebergException($"table metadata is format version {version}; qindex reads and writes format version 2");
        }

        long? current = Json.OptionalLong(root, "current-snapshot-id");
        var otherRefs = new Dictionary<string, SnapshotRef>(StringComparer.Ordinal);
        if (root.TryGetProperty("refs", out var refs) && refs.ValueKind == JsonValueKind.Object)
        {
            foreach (var r in refs.EnumerateObject())
            {
                if (r.Name == SnapshotRef.Main)
                {
                    current = Json.Long(r.Value, "snapshot-id");
                }
                else
                {
                    otherRefs[r.Name] = SnapshotRef.Parse(r.Value);
                }
            }
        }

        return new TableMetadata
        {
            FormatVersion = version,
            TableUuid = Guid.Parse(Json.String(root, "table-uuid")),
            Location = Json.String(root, "location"),
            LastSequenceNumber = Json.Long(root, "last-sequence-number"),
            LastUpdatedMs = Json.Long(root, "last-updated-ms"),
            LastColumnId = Json.Int(root, "last-column-id"),
            Schemas = Json.Required(root, "schemas").EnumerateArray().Select(Schema.Parse).ToList(),
            CurrentSchemaId = Json.Int(root, "current-schema-id"),
            DefaultSpecId = Json.Int(root, "default-spec-id"),
            LastPartitionId = Json.Int(root, "last-partition-id"),
            Properties = Json.StringMap(root, "properties"),
            CurrentSnapshotId = current is null or -1 ? null : current,
            Snapshots = root.TryGetProperty("snapshots", out var snaps) ? snaps.EnumerateArray().Select(Snapshot.Parse).ToList() : [],
            SnapshotLog = root.TryGetProperty("snapshot-log", out var slog)
                ? slog.EnumerateArray().Select(e => new SnapshotLogEntry(Json.Long(e, "timestamp-ms"), Json.Long(e, "snapshot-id"))).ToList()
                : [],
            MetadataLog = root.TryGetProperty("metadata-log", out var mlog)
                ? mlog.EnumerateArray().Select(e => new MetadataLogEntry(Json.Long(e, "timestamp-ms"), Json.String(e, "metadata-file"))).ToList()
                : [],
            SortOrders = root.TryGetProperty("sort-orders", out var orders) ? orders.EnumerateArray().Select(SortOrder.Parse).ToList() : [SortOrder.Unsorted],
            DefaultSortOrderId = root.TryGetProperty("default-sort-order-id", out var d) ? d.GetInt32() : 0,
            OtherRefs = otherRefs,
            PartitionSpecsJson = root.TryGetProperty("partition-specs", out var specs) && specs.ValueKind == JsonValueKind.Array ? specs.Clone() : null,
            Statistics = ArrayOf(root, "statistics"),
            PartitionStatistics = ArrayOf(root, "partition-statistics"),
            OtherFields = root.EnumerateObject().Where(p => !ModeledKeys.Contains(p.Name)).ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal),
        };
    }
}
