using System.Text.Json;
using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Catalog;

/// <summary>
/// One change to table metadata, as the REST catalog protocol names them (<c>add-snapshot</c>,
/// <c>set-snapshot-ref</c>, <c>remove-snapshots</c>, <c>set-properties</c>). A SQL catalog applies
/// them itself; a REST catalog sends them to the server.
/// </summary>
public abstract record TableUpdate
{
    public abstract void WriteJson(Utf8JsonWriter writer);
}

/// <summary>Adds a snapshot (without making it current).</summary>
public sealed record AddSnapshotUpdate(Snapshot Snapshot) : TableUpdate
{
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("action", "add-snapshot");
        writer.WritePropertyName("snapshot");
        Snapshot.WriteJson(writer);
        writer.WriteEndObject();
    }
}

/// <summary>Points the <c>main</c> branch (the current snapshot) at a snapshot.</summary>
public sealed record SetMainBranchUpdate(long SnapshotId) : TableUpdate
{
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("action", "set-snapshot-ref");
        writer.WriteString("ref-name", "main");
        writer.WriteString("type", "branch");
        writer.WriteNumber("snapshot-id", SnapshotId);
        writer.WriteEndObject();
    }
}

/// <summary>Removes snapshots (snapshot expiry).</summary>
public sealed record RemoveSnapshotsUpdate(IReadOnlyList<long> SnapshotIds) : TableUpdate
{
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("action", "remove-snapshots");
        writer.WriteStartArray("snapshot-ids");
        foreach (long id in SnapshotIds)
        {
            writer.WriteNumberValue(id);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}

/// <summary>Sets table properties.</summary>
public sealed record SetPropertiesUpdate(IReadOnlyDictionary<string, string> Updates) : TableUpdate
{
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("action", "set-properties");
        Json.WriteStringMap(writer, "updates", Updates);
        writer.WriteEndObject();
    }
}

/// <summary>Applies and (de)serializes <see cref="TableUpdate"/>s.</summary>
public static class TableUpdates
{
    /// <summary>
    /// The metadata after <paramref name="updates"/>, recording <paramref name="previousMetadataFile"/>
    /// in the metadata log.
    /// </summary>
    public static TableMetadata Apply(TableMetadata metadata, IEnumerable<TableUpdate> updates, string? previousMetadataFile, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(updates);
        var result = metadata;
        foreach (var update in updates)
        {
            result = update switch
            {
                AddSnapshotUpdate add => result.AddSnapshot(add.Snapshot, now),
                SetMainBranchUpdate set => result.SetCurrentSnapshot(set.SnapshotId, now),
                RemoveSnapshotsUpdate remove => result.RemoveSnapshots(remove.SnapshotIds.ToHashSet(), now),
                SetPropertiesUpdate props => result.SetProperties(props.Updates, now),
                _ => throw new IcebergException($"unsupported table update {update.GetType().Name}"),
            };
        }

        return result.WithPreviousMetadata(metadata, previousMetadataFile);
    }

    /// <summary>Parses one update of a REST commit request.</summary>
    public static TableUpdate Parse(JsonElement element)
    {
        string action = Json.String(element, "action");
        return action switch
        {
            "add-snapshot" => new AddSnapshotUpdate(Snapshot.Parse(Json.Required(element, "snapshot"))),
            "set-snapshot-ref" when Json.String(element, "ref-name") == "main" => new SetMainBranchUpdate(Json.Long(element, "snapshot-id")),
            "remove-snapshots" => new RemoveSnapshotsUpdate(Json.Required(element, "snapshot-ids").EnumerateArray().Select(e => e.GetInt64()).ToList()),
            "set-properties" => new SetPropertiesUpdate(Json.StringMap(element, "updates")),
            _ => throw new IcebergException($"unsupported table update '{action}'"),
        };
    }
}

/// <summary>
/// What must still hold for a commit to apply (REST protocol "requirements"): the same table,
/// and the main branch still where the writer saw it.
/// </summary>
public sealed record TableRequirements(Guid TableUuid, long? MainSnapshotId)
{
    /// <summary>The requirements of a commit based on <paramref name="metadata"/>.</summary>
    public static TableRequirements Of(TableMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return new(metadata.TableUuid, metadata.CurrentSnapshotId);
    }

    /// <summary>Throws <see cref="CommitConflictException"/> when <paramref name="current"/> no longer meets them.</summary>
    public void Check(TableMetadata current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (current.TableUuid != TableUuid)
        {
            throw new CommitConflictException($"the table was replaced (uuid {current.TableUuid}, expected {TableUuid})");
        }

        if (current.CurrentSnapshotId != MainSnapshotId)
        {
            throw new CommitConflictException($"branch main is at snapshot {current.CurrentSnapshotId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, expected {MainSnapshotId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}");
        }
    }

    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartArray("requirements");
        writer.WriteStartObject();
        writer.WriteString("type", "assert-table-uuid");
        writer.WriteString("uuid", TableUuid.ToString("D"));
        writer.WriteEndObject();
        writer.WriteStartObject();
        writer.WriteString("type", "assert-ref-snapshot-id");
        writer.WriteString("ref", "main");
        if (MainSnapshotId is { } id)
        {
            writer.WriteNumber("snapshot-id", id);
        }
        else
        {
            writer.WriteNull("snapshot-id");
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    public static TableRequirements Parse(JsonElement requirements, TableMetadata current)
    {
        ArgumentNullException.ThrowIfNull(current);
        Guid uuid = current.TableUuid;
        long? main = current.CurrentSnapshotId;
        foreach (var r in requirements.EnumerateArray())
        {
            switch (Json.String(r, "type"))
            {
                case "assert-table-uuid":
                    uuid = Guid.Parse(Json.String(r, "uuid"));
                    break;
                case "assert-ref-snapshot-id" when Json.String(r, "ref") == "main":
                    main = r.TryGetProperty("snapshot-id", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : null;
                    break;
                case var other:
                    throw new IcebergException($"unsupported commit requirement '{other}'");
            }
        }

        return new TableRequirements(uuid, main);
    }
}
