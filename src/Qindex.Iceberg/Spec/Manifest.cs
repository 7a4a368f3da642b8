using System.Globalization;
using Qindex.Iceberg.Avro;

namespace Qindex.Iceberg.Spec;

/// <summary>
/// Writes and reads manifests (Avro files of <see cref="ManifestEntry"/>) and manifest lists (Avro
/// files of <see cref="ManifestFile"/>), format v2. Entries carry explicit sequence numbers: the
/// writer knows the sequence number it commits with and rewrites its manifests when a conflict
/// moves it, which keeps readers that do not implement inheritance correct.
/// </summary>
public static class Manifest
{
    private static readonly AvroRecordSchema EntrySchema = (AvroRecordSchema)AvroSchema.Parse(ManifestSchemas.ManifestEntry);
    private static readonly AvroRecordSchema DataFileSchema = (AvroRecordSchema)EntrySchema.GetField("data_file").Schema;
    private static readonly AvroRecordSchema PartitionSchema = (AvroRecordSchema)DataFileSchema.GetField("partition").Schema;
    private static readonly AvroRecordSchema ListSchema = (AvroRecordSchema)AvroSchema.Parse(ManifestSchemas.ManifestFile);

    /// <summary>A manifest's bytes: <paramref name="entries"/>, all of one <paramref name="content"/> kind.</summary>
    public static byte[] Write(Schema tableSchema, FileContent content, IEnumerable<ManifestEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(tableSchema);
        ArgumentNullException.ThrowIfNull(entries);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["schema"] = tableSchema.ToJson(),
            ["schema-id"] = tableSchema.SchemaId.ToString(CultureInfo.InvariantCulture),
            ["partition-spec"] = "[]",
            ["partition-spec-id"] = PartitionSpec.UnpartitionedSpecId.ToString(CultureInfo.InvariantCulture),
            ["format-version"] = "2",
            ["content"] = content == FileContent.Data ? "data" : "deletes",
        };
        using var buffer = new MemoryStream();
        using (var writer = new AvroContainerWriter(buffer, EntrySchema, new AvroContainerWriterOptions { Codec = AvroCodec.Null, Metadata = metadata, LeaveOpen = true }))
        {
            foreach (var entry in entries)
            {
                writer.Append(ToAvro(entry));
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The entries of a manifest file's bytes.</summary>
    /// <exception cref="IcebergException">Not a manifest this implementation can read.</exception>
    public static IReadOnlyList<ManifestEntry> Read(byte[] manifest, string location)
    {
        try
        {
            using var reader = AvroContainerReader.Open(new MemoryStream(manifest, writable: false));
            return reader.ReadRecords().Select(r => FromAvro((AvroRecord)r!)).ToList();
        }
        catch (Exception e) when (e is AvroFormatException or InvalidCastException or KeyNotFoundException)
        {
            throw new IcebergException($"{location}: not a readable Iceberg manifest ({e.Message})", e);
        }
    }

    /// <summary>
    /// The entries of the manifest <paramref name="manifest"/> names, with what the spec lets a
    /// writer leave out inherited from it: a null snapshot id is the manifest's added snapshot id,
    /// a null data or file sequence number of an ADDED entry is the manifest's sequence number.
    /// Java and pyiceberg write ADDED entries that way; an entry carried into a new manifest as
    /// EXISTING or DELETED must then hold the inherited numbers explicitly.
    /// </summary>
    /// <exception cref="IcebergException">Not a manifest this implementation can read.</exception>
    public static IReadOnlyList<ManifestEntry> Read(byte[] bytes, ManifestFile manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Read(bytes, manifest.ManifestPath).Select(e => e.InheritFrom(manifest)).ToList();
    }

    /// <summary>A manifest list's bytes.</summary>
    public static byte[] WriteList(long snapshotId, long? parentSnapshotId, long sequenceNumber, IEnumerable<ManifestFile> manifests)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["snapshot-id"] = snapshotId.ToString(CultureInfo.InvariantCulture),
            ["parent-snapshot-id"] = parentSnapshotId?.ToString(CultureInfo.InvariantCulture) ?? "null",
            ["sequence-number"] = sequenceNumber.ToString(CultureInfo.InvariantCulture),
            ["format-version"] = "2",
        };
        using var buffer = new MemoryStream();
        using (var writer = new AvroContainerWriter(buffer, ListSchema, new AvroContainerWriterOptions { Codec = AvroCodec.Null, Metadata = metadata, LeaveOpen = true }))
        {
            foreach (var m in manifests)
            {
                // By field name, so a field the spec adds cannot shift the others.
                writer.Append(new AvroRecord(ListSchema)
                {
                    ["manifest_path"] = m.ManifestPath,
                    ["manifest_length"] = m.ManifestLength,
                    ["partition_spec_id"] = m.PartitionSpecId,
                    ["content"] = (int)m.Content,
                    ["sequence_number"] = m.SequenceNumber,
                    ["min_sequence_number"] = m.MinSequenceNumber,
                    ["added_snapshot_id"] = m.AddedSnapshotId,
                    ["added_files_count"] = m.AddedFilesCount,
                    ["existing_files_count"] = m.ExistingFilesCount,
                    ["deleted_files_count"] = m.DeletedFilesCount,
                    ["added_rows_count"] = m.AddedRowsCount,
                    ["existing_rows_count"] = m.ExistingRowsCount,
                    ["deleted_rows_count"] = m.DeletedRowsCount,
                    ["partitions"] = new List<object?>(),
                });
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The manifests a manifest list's bytes name.</summary>
    public static IReadOnlyList<ManifestFile> ReadList(byte[] manifestList, string location)
    {
        try
        {
            using var reader = AvroContainerReader.Open(new MemoryStream(manifestList, writable: false));
            return reader.ReadRecords().Select(o =>
            {
                var r = (AvroRecord)o!;
                return new ManifestFile
                {
                    ManifestPath = Field<string>(r, "manifest_path"),
                    ManifestLength = Field<long>(r, "manifest_length"),
                    PartitionSpecId = Field<int>(r, "partition_spec_id"),
                    Content = (FileContent)Field<int>(r, "content"),
                    SequenceNumber = Field<long>(r, "sequence_number"),
                    MinSequenceNumber = Field<long>(r, "min_sequence_number"),
                    AddedSnapshotId = Field<long>(r, "added_snapshot_id"),
                    AddedFilesCount = Field<int>(r, "added_files_count"),
                    ExistingFilesCount = Field<int>(r, "existing_files_count"),
                    DeletedFilesCount = Field<int>(r, "deleted_files_count"),
                    AddedRowsCount = Field<long>(r, "added_rows_count"),
                    ExistingRowsCount = Field<long>(r, "existing_rows_count"),
                    DeletedRowsCount = Field<long>(r, "deleted_rows_count"),
                };
            }).ToList();
        }
        catch (Exception e) when (e is AvroFormatException or InvalidCastException or KeyNotFoundException)
        {
            throw new IcebergException($"{location}: not a readable Iceberg manifest list ({e.Message})", e);
        }
    }

    /// <summary>The entry as an Avro record, built by field name (unset optional fields stay null).</summary>
    private static AvroRecord ToAvro(ManifestEntry entry)
    {
        var f = entry.DataFile;
        var file = new AvroRecord(DataFileSchema)
        {
            ["content"] = (int)f.Content,
            ["file_path"] = f.FilePath,
            ["file_format"] = f.FileFormat,
            ["partition"] = new AvroRecord(PartitionSchema),
            ["record_count"] = f.RecordCount,
            ["file_size_in_bytes"] = f.FileSizeInBytes,
            ["column_sizes"] = Map(DataFileSchema, "column_sizes", f.ColumnSizes),
            ["value_counts"] = Map(DataFileSchema, "value_counts", f.ValueCounts),
            ["null_value_counts"] = Map(DataFileSchema, "null_value_counts", f.NullValueCounts),
            ["lower_bounds"] = Map(DataFileSchema, "lower_bounds", f.LowerBounds),
            ["upper_bounds"] = Map(DataFileSchema, "upper_bounds", f.UpperBounds),
            ["split_offsets"] = f.SplitOffsets?.Cast<object?>().ToList(),
            ["sort_order_id"] = f.SortOrderId,
        };
        return new AvroRecord(EntrySchema)
        {
            ["status"] = (int)entry.Status,
            ["snapshot_id"] = entry.SnapshotId,
            ["sequence_number"] = entry.SequenceNumber,
            ["file_sequence_number"] = entry.FileSequenceNumber,
            ["data_file"] = file,
        };
    }

    private static List<object?>? Map<T>(AvroRecordSchema schema, string field, IReadOnlyDictionary<int, T>? values)
    {
        if (values is null)
        {
            return null;
        }

        var array = (AvroArraySchema)((AvroUnionSchema)schema.GetField(field).Schema).Branches[1];
        var pair = (AvroRecordSchema)array.Items;
        return values.OrderBy(p => p.Key).Select(p => (object?)new AvroRecord(pair, [p.Key, p.Value])).ToList();
    }

    private static ManifestEntry FromAvro(AvroRecord entry)
    {
        var f = Field<AvroRecord>(entry, "data_file");
        var file = new DataFile
        {
            Content = (FileContent)Field<int>(f, "content"),
            FilePath = Field<string>(f, "file_path"),
            FileFormat = Field<string>(f, "file_format"),
            RecordCount = Field<long>(f, "record_count"),
            FileSizeInBytes = Field<long>(f, "file_size_in_bytes"),
            ColumnSizes = ReadMap<long>(f["column_sizes"]),
            ValueCounts = ReadMap<long>(f["value_counts"]),
            NullValueCounts = ReadMap<long>(f["null_value_counts"]),
            LowerBounds = ReadMap<byte[]>(f["lower_bounds"]),
            UpperBounds = ReadMap<byte[]>(f["upper_bounds"]),
            SplitOffsets = (f["split_offsets"] as IEnumerable<object?>)?.Select(o => (long)o!).ToList(),
            SortOrderId = f["sort_order_id"] as int?,
        };
        return new ManifestEntry((ManifestEntryStatus)Field<int>(entry, "status"), entry["snapshot_id"] as long?, entry["sequence_number"] as long?, entry["file_sequence_number"] as long?, file);
    }

    /// <summary>A required field of the type the spec gives it; a missing or mistyped value names the field.</summary>
    private static T Field<T>(AvroRecord record, string name) =>
        record[name] is T value ? value : throw new InvalidCastException($"field '{name}' of {record.Schema.FullName} is {record[name]?.GetType().Name ?? "null"}, expected {typeof(T).Name}");

    private static Dictionary<int, T>? ReadMap<T>(object? value) =>
        (value as IEnumerable<object?>)?.Cast<AvroRecord>().ToDictionary(r => Field<int>(r, "key"), r => Field<T>(r, "value"));
}
