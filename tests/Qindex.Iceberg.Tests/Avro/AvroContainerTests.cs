using System.Text.Json;
using Qindex.Iceberg.Avro;

namespace Qindex.Iceberg.Tests.Avro;

public class AvroContainerTests
{
    private static readonly Dictionary<string, string> IcebergMetadata = new()
    {
        ["schema"] = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[]}",
        ["partition-spec"] = "[]",
        ["partition-spec-id"] = "0",
        ["format-version"] = "2",
        ["content"] = "data",
    };

    private static byte[] WriteFile(int count, AvroCodec codec, int blockRecords = 1000, int seed = 1)
    {
        using var stream = new MemoryStream();
        var random = new Random(seed);
        using (var writer = new AvroContainerWriter(stream, AvroTestData.Everything, new AvroContainerWriterOptions
        {
            Codec = codec,
            Metadata = IcebergMetadata,
            BlockRecordCount = blockRecords,
            LeaveOpen = true,
        }))
        {
            for (var i = 0; i < count; i++)
            {
                writer.Append(AvroTestData.Make(random, i));
            }

            Assert.Equal(count, writer.RecordCount);
        }

        return stream.ToArray();
    }

    private static void AssertRecords(IEnumerable<object?> records, int count, int seed = 1)
    {
        var random = new Random(seed);
        var i = 0;
        foreach (var record in records)
        {
            AvroTestData.AssertDeepEqual(AvroTestData.Make(random, i), record, "record" + i);
            i++;
        }

        Assert.Equal(count, i);
    }

    [Theory]
    [InlineData(AvroCodec.Null)]
    [InlineData(AvroCodec.Deflate)]
    public void Every_type_round_trips(AvroCodec codec)
    {
        var bytes = WriteFile(2500, codec, blockRecords: 700);
        using var reader = AvroContainerReader.Open(new MemoryStream(bytes));
        Assert.Equal(codec, reader.Codec);
        Assert.Equal(AvroTestData.Everything.ToJson(), reader.Schema.ToJson());
        foreach (var (key, value) in IcebergMetadata)
        {
            Assert.Equal(value, reader.Metadata[key]);
        }

        Assert.Equal(codec == AvroCodec.Deflate ? "deflate" : "null", reader.Metadata["avro.codec"]);
        AssertRecords(reader.ReadRecords(), 2500);
    }

    [Fact]
    public void Header_schema_keeps_field_ids()
    {
        var bytes = WriteFile(1, AvroCodec.Null);
        using var reader = AvroContainerReader.Open(new MemoryStream(bytes));
        using var document = JsonDocument.Parse(reader.Metadata["avro.schema"]);
        var fields = document.RootElement.GetProperty("fields");
        for (var i = 0; i < fields.GetArrayLength(); i++)
        {
            Assert.Equal(AvroTestData.Everything.Fields[i].FieldId, fields[i].GetProperty("field-id").GetInt32());
        }

        var pairs = fields[13].GetProperty("type");
        Assert.Equal(15, pairs.GetProperty("element-id").GetInt32());
        Assert.Equal(117, pairs.GetProperty("items").GetProperty("fields")[0].GetProperty("field-id").GetInt32());
    }

    [Fact]
    public void Header_layout_matches_the_spec()
    {
        using var stream = new MemoryStream();
        var sync = Enumerable.Range(0, 16).Select(i => (byte)(0xA0 + i)).ToArray();
        var schema = new AvroRecordSchema("r", [new AvroField("a", AvroSchema.Long)]);
        using (var writer = new AvroContainerWriter(stream, schema, new AvroContainerWriterOptions { Codec = AvroCodec.Null, SyncMarker = sync, LeaveOpen = true }))
        {
            writer.Append(new AvroRecord(schema, [-1L]));
            writer.Append(new AvroRecord(schema, [64L]));
        }

        var bytes = stream.ToArray();
        var schemaJson = "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}";
        var expected = new AvroBinaryWriter();
        expected.WriteFixed("Obj\u0001"u8);
        expected.WriteFixed([0x04]); // two metadata entries
        expected.WriteString("avro.schema");
        expected.WriteBytes(System.Text.Encoding.UTF8.GetBytes(schemaJson));
        expected.WriteString("avro.codec");
        expected.WriteBytes("null"u8);
        expected.WriteFixed([0x00]); // end of metadata map
        expected.WriteFixed(sync);
        expected.WriteFixed([0x04, 0x06, 0x01, 0x80, 0x01]); // 2 records, 3 bytes: -1 and 64
        expected.WriteFixed(sync);
        Assert.Equal(Convert.ToHexStringLower(expected.WrittenSpan), Convert.ToHexStringLower(bytes));
    }

    [Theory]
    [InlineData(AvroCodec.Null)]
    [InlineData(AvroCodec.Deflate)]
    public void Large_file_with_many_blocks_round_trips(AvroCodec codec)
    {
        var schema = new AvroRecordSchema("row",
        [
            new AvroField("path", AvroSchema.String, fieldId: 1),
            new AvroField("size", AvroSchema.Long, fieldId: 2),
            new AvroField("tag", AvroSchema.Optional(AvroSchema.Int), fieldId: 3),
        ]);
        const int count = 100_000;
        using var stream = new MemoryStream();
        using (var writer = new AvroContainerWriter(stream, schema, new AvroContainerWriterOptions { Codec = codec, BlockByteSize = 256 * 1024, LeaveOpen = true }))
        {
            // One record reused for every row, as a manifest writer would.
            var record = new AvroRecord(schema);
            for (var i = 0; i < count; i++)
            {
                record[0] = "/data/dir" + (i % 97) + "/file" + i + ".parquet";
                record[1] = (long)i * 4096;
                record[2] = i % 3 == 0 ? null : i;
                writer.Append(record);
            }

            // About 50 bytes a row, so the 256 KiB byte limit, not the 10,000-record one, cuts blocks.
            writer.Flush();
            Assert.InRange(writer.BlockCount, 10, 40);
        }

        stream.Position = 0;
        using var reader = AvroContainerReader.Open(stream);
        var n = 0;
        foreach (var item in reader.ReadRecords())
        {
            var record = Assert.IsType<AvroRecord>(item);
            Assert.Equal("/data/dir" + (n % 97) + "/file" + n + ".parquet", record["path"]);
            Assert.Equal((long)n * 4096, record["size"]);
            Assert.Equal(n % 3 == 0 ? null : n, record["tag"]);
            n++;
        }

        Assert.Equal(count, n);
    }

    [Fact]
    public async Task Async_write_and_read_round_trip()
    {
        using var stream = new MemoryStream();
        var random = new Random(7);
        await using (var writer = new AvroContainerWriter(stream, AvroTestData.Everything, new AvroContainerWriterOptions { BlockRecordCount = 64, LeaveOpen = true }))
        {
            for (var i = 0; i < 500; i++)
            {
                await writer.AppendAsync(AvroTestData.Make(random, i));
            }

            await writer.FlushAsync();
        }

        stream.Position = 0;
        await using var reader = await AvroContainerReader.OpenAsync(stream);
        var records = new List<object?>();
        await foreach (var record in reader.ReadRecordsAsync())
        {
            records.Add(record);
        }

        AssertRecords(records, 500, seed: 7);
    }

    [Fact]
    public void Empty_file_has_header_and_no_records()
    {
        using var stream = new MemoryStream();
        using (new AvroContainerWriter(stream, AvroTestData.Everything, new AvroContainerWriterOptions { LeaveOpen = true }))
        {
        }

        stream.Position = 0;
        using var reader = AvroContainerReader.Open(stream);
        Assert.Empty(reader.ReadRecords());
    }

    [Fact]
    public void Reading_a_stream_that_trickles_bytes_works()
    {
        var bytes = WriteFile(300, AvroCodec.Deflate, blockRecords: 50);
        using var reader = AvroContainerReader.Open(new TrickleStream(bytes, 7));
        AssertRecords(reader.ReadRecords(), 300);
    }

    [Fact]
    public void Truncated_file_raises_format_error()
    {
        var bytes = WriteFile(200, AvroCodec.Deflate, blockRecords: 50);

        // Cut at many points: inside the header, inside a block, inside a sync marker.
        foreach (var cut in new[] { 2, 10, 100, bytes.Length / 2, bytes.Length - 20, bytes.Length - 1 })
        {
            var e = Assert.Throws<AvroFormatException>(() =>
            {
                using var reader = AvroContainerReader.Open(new MemoryStream(bytes, 0, cut));
                foreach (var record in reader.ReadRecords())
                {
                    _ = record;
                }
            });
            Assert.False(string.IsNullOrEmpty(e.Message));
        }
    }

    [Fact]
    public void Truncated_block_message_is_clear()
    {
        var bytes = WriteFile(10, AvroCodec.Null);
        using var reader = AvroContainerReader.Open(new MemoryStream(bytes, 0, bytes.Length - 5));
        var e = Assert.Throws<AvroFormatException>(() => reader.ReadRecords().ToList());
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_magic_raises_format_error()
    {
        var bytes = WriteFile(1, AvroCodec.Null);
        bytes[3] = 2;
        var e = Assert.Throws<AvroFormatException>(() => AvroContainerReader.Open(new MemoryStream(bytes)));
        Assert.Contains("Obj", e.Message, StringComparison.Ordinal);
        Assert.Throws<AvroFormatException>(() => AvroContainerReader.Open(new MemoryStream()));
    }

    [Fact]
    public void Sync_mismatch_raises_format_error()
    {
        var bytes = WriteFile(10, AvroCodec.Null);
        bytes[^1] ^= 0xFF;
        using var reader = AvroContainerReader.Open(new MemoryStream(bytes));
        var e = Assert.Throws<AvroFormatException>(() => reader.ReadRecords().ToList());
        Assert.Contains("sync marker", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_codec_raises_format_error()
    {
        var bytes = WriteFile(1, AvroCodec.Null);

        // Rewrite the codec value "null" as "zzzz", same length, so the header stays well formed.
        var at = bytes.AsSpan().IndexOf("null"u8);
        "zzzz"u8.CopyTo(bytes.AsSpan(at));
        var e = Assert.Throws<AvroFormatException>(() => AvroContainerReader.Open(new MemoryStream(bytes)));
        Assert.Contains("zzzz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_append_leaves_the_file_valid()
    {
        var schema = new AvroRecordSchema("r", [new AvroField("a", AvroSchema.Long), new AvroField("b", AvroSchema.String)]);
        using var stream = new MemoryStream();
        using (var writer = new AvroContainerWriter(stream, schema, new AvroContainerWriterOptions { LeaveOpen = true }))
        {
            writer.Append(new AvroRecord(schema, [1L, "one"]));
            Assert.Throws<AvroFormatException>(() => writer.Append(new AvroRecord(schema, [2L, 2])));
            writer.Append(new AvroRecord(schema, [3L, "three"]));
        }

        stream.Position = 0;
        using var reader = AvroContainerReader.Open(stream);
        var records = reader.ReadRecords().Cast<AvroRecord>().ToList();
        Assert.Equal(["one", "three"], records.Select(r => (string)r["b"]!));
    }

    [Fact]
    public void Reserved_metadata_keys_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new AvroContainerWriter(new MemoryStream(), AvroSchema.Long, new AvroContainerWriterOptions
        {
            Metadata = new Dictionary<string, string> { ["avro.codec"] = "snappy" },
        }));
    }

    /// <summary>Returns at most a few bytes per read, as a network stream may.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }
}
