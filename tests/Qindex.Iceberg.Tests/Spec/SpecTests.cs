using System.Text.Json;
using ParquetSharp;
using Qindex.Iceberg.Avro;
using Qindex.Iceberg.Parquet;
using Qindex.Iceberg.Spec;
using Schema = Qindex.Iceberg.Spec.Schema;
using SortOrder = Qindex.Iceberg.Spec.SortOrder;

namespace Qindex.Iceberg.Tests.Spec;

public sealed class SpecTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qindex-spec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static readonly Schema TestSchema = new(0, [
        new NestedField(1, "path", PrimitiveType.String, Required: true),
        new NestedField(2, "size", PrimitiveType.Long),
        new NestedField(3, "mtime", PrimitiveType.TimestampTz),
        new NestedField(4, "links", PrimitiveType.Int),
        new NestedField(5, "hidden", PrimitiveType.Boolean),
    ]);

    [Fact]
    public void Table_metadata_round_trips_and_carries_every_v2_field()
    {
        var now = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        var created = TableMetadata.Create("file:///w/ns/t", TestSchema, new SortOrder(1, [new SortField(1)]), new Dictionary<string, string> { ["k"] = "v" }, now);
        var snapshot = new Snapshot(77, null, 1, now.ToUnixTimeMilliseconds(), "file:///w/ns/t/metadata/snap-77.avro", new Dictionary<string, string> { ["operation"] = "append", ["added-records"] = "3" }, 0);
        var metadata = created.AddSnapshot(snapshot, now).SetCurrentSnapshot(77, now).WithPreviousMetadata(created, "file:///w/ns/t/metadata/00000-a.metadata.json");

        byte[] json = metadata.ToJsonBytes();
        using var doc = JsonDocument.Parse(json);
        foreach (var required in new[] { "format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms", "last-column-id", "schemas", "current-schema-id", "partition-specs", "default-spec-id", "last-partition-id", "sort-orders", "default-sort-order-id", "refs", "snapshots" })
        {
            Assert.True(doc.RootElement.TryGetProperty(required, out _), required);
        }

        Assert.Equal(77, doc.RootElement.GetProperty("refs").GetProperty("main").GetProperty("snapshot-id").GetInt64());
        var parsed = TableMetadata.Parse(json);
        Assert.Equal(metadata.TableUuid, parsed.TableUuid);
        Assert.Equal(TestSchema.Fields, parsed.CurrentSchema.Fields);
        Assert.Equal(77, parsed.CurrentSnapshot!.SnapshotId);
        Assert.Equal(1, parsed.LastSequenceNumber);
        Assert.Equal("3", parsed.CurrentSnapshot.Summary["added-records"]);
        Assert.Equal(5, parsed.LastColumnId);
        Assert.Equal(1, parsed.DefaultSortOrderId);
        Assert.Single(parsed.MetadataLog);
    }

    [Fact]
    public void A_snapshot_out_of_sequence_is_a_conflict()
    {
        var metadata = TableMetadata.Create("file:///w/t", TestSchema, SortOrder.Unsorted, new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);
        var stale = new Snapshot(1, null, 2, 0, "file:///w/t/metadata/x.avro", new Dictionary<string, string>(), 0);
        Assert.Throws<CommitConflictException>(() => metadata.AddSnapshot(stale, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Manifests_round_trip_with_metrics_and_carry_field_ids_in_their_avro_schema()
    {
        var file = new DataFile
        {
            FilePath = "file:///w/t/data/a.parquet",
            RecordCount = 10,
            FileSizeInBytes = 1234,
            ColumnSizes = new Dictionary<int, long> { [1] = 100, [2] = 50 },
            ValueCounts = new Dictionary<int, long> { [1] = 10, [2] = 10 },
            NullValueCounts = new Dictionary<int, long> { [1] = 0, [2] = 2 },
            LowerBounds = new Dictionary<int, byte[]> { [1] = SingleValue.FromString("/a"), [2] = SingleValue.FromLong(-5) },
            UpperBounds = new Dictionary<int, byte[]> { [1] = SingleValue.FromString("/z\n'%"), [2] = SingleValue.FromLong(1L << 40) },
            SortOrderId = 1,
        };
        var entries = new[] { new ManifestEntry(ManifestEntryStatus.Added, 42, 3, 3, file), new ManifestEntry(ManifestEntryStatus.Deleted, 42, 1, 1, file with { FilePath = "file:///w/t/data/old.parquet" }) };
        byte[] bytes = Manifest.Write(TestSchema, FileContent.Data, entries);
        var read = Manifest.Read(bytes, "test");
        Assert.Equal(2, read.Count);
        Assert.Equal(ManifestEntryStatus.Added, read[0].Status);
        Assert.Equal(3, read[0].SequenceNumber);
        Assert.Equal("/z\n'%", SingleValue.ToString(read[0].DataFile.UpperBounds![1]));
        Assert.Equal(-5, SingleValue.ToLong(read[0].DataFile.LowerBounds![2]));
        Assert.Equal(2, read[0].DataFile.NullValueCounts![2]);
        Assert.Equal(1, read[0].DataFile.SortOrderId);
        Assert.Equal("file:///w/t/data/old.parquet", read[1].DataFile.FilePath);

        using var reader = AvroContainerReader.Open(new MemoryStream(bytes));
        Assert.Equal("2", reader.Metadata["format-version"]);
        Assert.Equal("data", reader.Metadata["content"]);
        using var schema = JsonDocument.Parse(reader.Metadata["avro.schema"]);
        var fields = schema.RootElement.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("field-id").GetInt32());
        Assert.Equal(0, fields["status"]);
        Assert.Equal(2, fields["data_file"]);
        Assert.Equal(3, fields["sequence_number"]);
        using var tableSchema = JsonDocument.Parse(reader.Metadata["schema"]);
        Assert.Equal(5, tableSchema.RootElement.GetProperty("fields").GetArrayLength());
    }

    [Fact]
    public void Manifest_lists_round_trip()
    {
        var manifest = new ManifestFile { ManifestPath = "file:///w/t/metadata/m0.avro", ManifestLength = 999, SequenceNumber = 4, MinSequenceNumber = 2, AddedSnapshotId = 9, AddedFilesCount = 1, ExistingFilesCount = 2, DeletedFilesCount = 3, AddedRowsCount = 10, ExistingRowsCount = 20, DeletedRowsCount = 30, Content = FileContent.PositionDeletes };
        var read = Manifest.ReadList(Manifest.WriteList(9, 8, 4, [manifest]), "test");
        Assert.Equal(manifest, Assert.Single(read));
    }

    [Fact]
    public void A_damaged_manifest_is_reported_with_its_location()
    {
        byte[] bytes = Manifest.Write(TestSchema, FileContent.Data, []);
        var e = Assert.Throws<IcebergException>(() => Manifest.Read(bytes[..(bytes.Length / 2)], "file:///w/t/metadata/broken.avro"));
        Assert.Contains("broken.avro", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("short", "short", "short")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop", "abcdefghijklmnoq")]
    [InlineData("\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600", "\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600", "\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F601")]
    public void String_bounds_truncate_by_code_point_and_stay_bounds(string value, string lower, string upper)
    {
        Assert.Equal(lower, SingleValue.TruncateLower(value, 16));
        Assert.Equal(upper, SingleValue.TruncateUpper(value, 16));
        Assert.True(string.CompareOrdinal(SingleValue.TruncateUpper(value, 16), value) >= 0);
    }

    [Fact]
    public void Parquet_metrics_are_read_from_the_footer_by_field_id()
    {
        string path = Path.Combine(_dir, "m.parquet");
        var columns = new Column[]
        {
            new Column<string>("path"), new Column<long?>("size"), new Column<DateTime?>("mtime", LogicalType.Timestamp(true, TimeUnit.Micros)), new Column<int?>("links"), new Column<bool?>("hidden"),
        };
        using (var properties = new WriterPropertiesBuilder().MaxRowGroupLength(2).Build())
        using (var writer = new ParquetFileWriter(path, WithFieldIds(columns), properties))
        {
            for (int group = 0; group < 2; group++)
            {
                using var rowGroup = writer.AppendRowGroup();
                using (var c = rowGroup.NextColumn().LogicalWriter<string>())
                {
                    c.WriteBatch(group == 0 ? ["/b", "/c"] : ["/a/" + new string('x', 40), "/d"]);
                }

                using (var c = rowGroup.NextColumn().LogicalWriter<long?>())
                {
                    c.WriteBatch(group == 0 ? [5, null] : [-3, 100]);
                }

                using (var c = rowGroup.NextColumn().LogicalWriter<DateTime?>())
                {
                    c.WriteBatch([new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), null]);
                }

                using (var c = rowGroup.NextColumn().LogicalWriter<int?>())
                {
                    c.WriteBatch([1, 2]);
                }

                using (var c = rowGroup.NextColumn().LogicalWriter<bool?>())
                {
                    c.WriteBatch([false, true]);
                }
            }

            writer.Close();
        }

        var metrics = ParquetMetrics.Read(path, "file:///x/m.parquet", TestSchema, new HashSet<int> { 1 });
        Assert.Equal(4, metrics.RecordCount);
        Assert.Equal(new FileInfo(path).Length, metrics.FileSizeInBytes);
        Assert.Equal(4, metrics.ValueCounts![2]);
        Assert.Equal(1, metrics.NullValueCounts![2]);
        Assert.Equal(2, metrics.NullValueCounts[3]);
        Assert.Equal("/a/" + new string('x', 40), SingleValue.ToString(metrics.LowerBounds![1]));
        Assert.Equal("/d", SingleValue.ToString(metrics.UpperBounds![1]));
        Assert.Equal(-3, SingleValue.ToLong(metrics.LowerBounds[2]));
        Assert.Equal(100, SingleValue.ToLong(metrics.UpperBounds[2]));
        Assert.Equal(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, SingleValue.ToLong(metrics.LowerBounds[3]));
        Assert.Equal(2, SingleValue.ToInt(metrics.UpperBounds[4]));
        Assert.Equal([1], metrics.UpperBounds[5]);
    }

    private static ParquetSharp.Schema.GroupNode WithFieldIds(Column[] columns)
    {
        var nodes = new List<ParquetSharp.Schema.Node>();
        for (int i = 0; i < columns.Length; i++)
        {
            using var node = columns[i].CreateSchemaNode();
            var primitive = (ParquetSharp.Schema.PrimitiveNode)node;
            nodes.Add(new ParquetSharp.Schema.PrimitiveNode(primitive.Name, primitive.Repetition, primitive.LogicalType, primitive.PhysicalType, primitive.TypeLength, i + 1));
        }

        return new ParquetSharp.Schema.GroupNode("schema", Repetition.Required, nodes);
    }
}
