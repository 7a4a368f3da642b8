using System.Text;
using System.Text.Json;
using Qindex.Index.Records;

namespace Qindex.Index.Tests.Records;

public class RecordsTests
{
    private static readonly DateTimeOffset Ingest = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private const string RegularFile = """
        {"path":"/data/a b/report.txt","name":"report.txt","num_links":1,"type":"FS_FILE_TYPE_FILE",
         "major_minor_numbers":{"major":0,"minor":0},"symlink_target_type":"FS_FILE_TYPE_UNKNOWN",
         "file_number":"1234567","id":"1234567","mode":"0644","owner":"12884901889",
         "owner_details":{"id_type":"NFS_UID","id_value":"1001"},"group":"17179869285",
         "group_details":{"id_type":"NFS_GID","id_value":"100"},"blocks":"3","datablocks":"2",
         "metablocks":"1","size":"8190","access_time":"2024-03-01T10:20:30.123456789Z",
         "modification_time":"2024-03-01T10:20:30.999999999Z","change_time":"2024-03-01T12:20:30.5+02:00",
         "creation_time":"2023-12-31T23:59:59Z","child_count":0,
         "extended_attributes":{"read_only":false,"hidden":true,"system":false,"archive":true,"temporary":false,
           "compressed":false,"not_content_indexed":false,"sparse_file":true,"offline":false},
         "directory_entry_hash_policy":null,"data_revision":"7","user_metadata_revision":"2",
         "lock":{"retention_period":"","legal_hold":false}}
        """;

    public static TheoryData<string> Paths => new() { "element", "reader", "bytes" };

    private static FileRecord ParseVia(string how, string json) => how switch
    {
        "element" => FileRecordParser.Parse(JsonDocument.Parse(json).RootElement, Ingest),
        "reader" => ParseWithReader(json),
        _ => FileRecordParser.Parse(Encoding.UTF8.GetBytes(json), Ingest),
    };

    private static FileRecord ParseWithReader(string json)
    {
        // Embed the object in a page the way entries pages do, and check the reader ends on it.
        var page = Encoding.UTF8.GetBytes("{\"files\":[" + json + "],\"after\":1}");
        var reader = new Utf8JsonReader(page);
        while (reader.Read() && reader.TokenType != JsonTokenType.StartArray)
        {
        }

        reader.Read();
        var record = FileRecordParser.Parse(ref reader, Ingest);
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        reader.Read();
        Assert.Equal(JsonTokenType.EndArray, reader.TokenType);
        return record;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Regular_file_is_flattened_and_typed(string how)
    {
        var r = ParseVia(how, RegularFile);
        Assert.Equal("/data/a b/report.txt", r.Path);
        Assert.Equal("report.txt", r.Name);
        Assert.Equal(1, r.NumLinks);
        Assert.Equal("FS_FILE_TYPE_FILE", r.Type);
        Assert.Equal(0, r.MajorMinorMajor);
        Assert.Equal("1234567", r.Id);
        Assert.Null(r.FileNumber);
        Assert.Equal(420, r.Mode);
        Assert.Equal(12884901889L, r.Owner);
        Assert.Equal("NFS_UID", r.OwnerIdType);
        Assert.Equal("1001", r.OwnerIdValue);
        Assert.Equal(17179869285L, r.Group);
        Assert.Equal("NFS_GID", r.GroupIdType);
        Assert.Equal("100", r.GroupIdValue);
        Assert.Equal(3, r.Blocks);
        Assert.Equal(2, r.Datablocks);
        Assert.Equal(1, r.Metablocks);
        Assert.Equal(8190, r.Size);
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 10, 20, 30, TimeSpan.Zero).AddTicks(1234560), r.AccessTime);
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 10, 20, 30, TimeSpan.Zero).AddTicks(9999990), r.ModificationTime);
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 10, 20, 30, 500, TimeSpan.Zero), r.ChangeTime);
        Assert.Equal(TimeSpan.Zero, r.ChangeTime!.Value.Offset);
        Assert.Equal(new DateTimeOffset(2023, 12, 31, 23, 59, 59, TimeSpan.Zero), r.CreationTime);
        Assert.Equal(0, r.ChildCount);
        Assert.False(r.EaReadOnly);
        Assert.True(r.EaHidden);
        Assert.True(r.EaArchive);
        Assert.True(r.EaSparseFile);
        Assert.False(r.EaOffline);
        Assert.Null(r.DirectoryEntryHashPolicy);
        Assert.Equal(7, r.DataRevision);
        Assert.Equal(2, r.UserMetadataRevision);
        Assert.Equal(Ingest, r.IngestTs);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Missing_fields_become_null(string how)
    {
        var r = ParseVia(how, """{"path":"/only/path"}""");
        Assert.Equal("/only/path", r.Path);
        Assert.Null(r.Name);
        Assert.Null(r.Size);
        Assert.Null(r.Mode);
        Assert.Null(r.ModificationTime);
        Assert.Null(r.OwnerIdType);
        Assert.Null(r.EaHidden);
        Assert.Null(r.MajorMinorMajor);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Device_file_keeps_major_and_minor(string how)
    {
        var r = ParseVia(how, """
            {"path":"/dev/sda1","type":"FS_FILE_TYPE_UNIX_BLOCK_DEVICE","major_minor_numbers":{"major":"8","minor":1},
             "id":"5","file_number":"6","mode":"0660"}
            """);
        Assert.Equal(8, r.MajorMinorMajor);
        Assert.Equal(1, r.MajorMinorMinor);
        Assert.Equal("6", r.FileNumber);
        Assert.Equal(432, r.Mode);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Symlink_keeps_target_type(string how)
    {
        var r = ParseVia(how, """
            {"path":"/l","type":"FS_FILE_TYPE_SYMLINK","symlink_target_type":"FS_FILE_TYPE_DIRECTORY","mode":"0777","size":"12"}
            """);
        Assert.Equal("FS_FILE_TYPE_SYMLINK", r.Type);
        Assert.Equal("FS_FILE_TYPE_DIRECTORY", r.SymlinkTargetType);
        Assert.Equal(511, r.Mode);
    }

    [Theory]
    [InlineData("2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.1234560Z")]
    [InlineData("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.0000000Z")]
    [InlineData("2024-01-02T03:04:05.1Z", "2024-01-02T03:04:05.1000000Z")]
    [InlineData("2024-01-02T01:04:05.000000001-02:00", "2024-01-02T03:04:05.0000000Z")]
    [InlineData("2024-01-01T00:30:00.999999999+05:30", "2023-12-31T19:00:00.9999990Z")]
    [InlineData("2016-12-31T23:59:60Z", "2017-01-01T00:00:00.0000000Z")]
    public void Times_are_truncated_to_micros_in_utc(string input, string expectedUtc)
    {
        Assert.True(FileRecordParser.TryParseTime(input, out var value));
        Assert.Equal(expectedUtc, value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.Zero, value.Offset);
    }

    [Theory]
    [InlineData("2024-13-02T03:04:05Z")]
    [InlineData("2024-02-30T03:04:05Z")]
    [InlineData("2024-01-02T03:04:05")]
    [InlineData("2024-01-02T03:04:05.Z")]
    [InlineData("yesterday")]
    [InlineData("2024-01-02T03:04:05+0200")]
    public void Bad_times_are_rejected(string input)
    {
        Assert.False(FileRecordParser.TryParseTime(input, out _));
    }

    [Theory]
    [InlineData("""{"path":"/x","size":"12a"}""", "size", "12a")]
    [InlineData("""{"path":"/x","mode":"0798"}""", "mode", "0798")]
    [InlineData("""{"path":"/x","owner":"-"}""", "owner", "-")]
    [InlineData("""{"path":"/x","num_links":"1.5"}""", "num_links", "1.5")]
    [InlineData("""{"path":"/x","modification_time":"2024-01-02"}""", "modification_time", "2024-01-02")]
    [InlineData("""{"path":"/x","major_minor_numbers":{"major":"x"}}""", "major_minor_numbers.major", "x")]
    [InlineData("""{"path":"/x","extended_attributes":{"hidden":"maybe"}}""", "extended_attributes.hidden", "maybe")]
    [InlineData("""{"path":"/x","child_count":"99999999999"}""", "child_count", "99999999999")]
    public void Malformed_values_name_field_and_value(string json, string field, string value)
    {
        foreach (var how in new[] { "element", "reader", "bytes" })
        {
            var ex = Assert.Throws<FileRecordFormatException>(() => ParseVia(how, json));
            Assert.Equal(field, ex.Field);
            Assert.Equal(value, ex.Value);
            Assert.Contains(field, ex.Message, StringComparison.Ordinal);
            Assert.Contains(value, ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"name":"x"}""")]
    [InlineData("""{"path":""}""")]
    [InlineData("""{"path":null}""")]
    public void Missing_path_is_rejected(string json)
    {
        var ex = Assert.Throws<FileRecordFormatException>(() => ParseVia("element", json));
        Assert.Equal("path", ex.Field);
        Assert.Throws<FileRecordFormatException>(() => ParseVia("reader", json));
    }

    [Fact]
    public void File_number_different_from_id_is_kept()
    {
        var r = ParseVia("element", """{"path":"/x","id":"10","file_number":"11"}""");
        Assert.Equal("11", r.FileNumber);
        var same = ParseVia("reader", """{"path":"/x","id":"10","file_number":"10"}""");
        Assert.Null(same.FileNumber);
    }

    [Fact]
    public void Odd_paths_survive_json_escapes()
    {
        var r = ParseVia("reader", """{"path":"/q'uo\"te/100%/line\nbreak/\u00e9t\u00e9/\ud83d\ude00"}""");
        Assert.Equal("/q'uo\"te/100%/line\nbreak/\u00e9t\u00e9/\ud83d\ude00", r.Path);
    }

    [Fact]
    public void Columns_round_trip_records()
    {
        var records = new[]
        {
            ParseVia("element", RegularFile),
            ParseVia("element", """{"path":"/only"}"""),
        };
        var columns = FileRecordColumns.ToColumns(records);
        Assert.Equal(IndexColumns.All.Count, columns.Length);
        Assert.All(columns, c => Assert.Equal(2, c.Length));
        Assert.Equal(8190L, ((long?[])columns[19])[0]);
        Assert.Null(((long?[])columns[19])[1]);
        var back = FileRecordColumns.FromColumns(columns, 2);
        Assert.Equal(records, back);
    }
}
