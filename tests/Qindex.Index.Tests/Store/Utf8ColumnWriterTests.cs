using ParquetSharp;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>String columns written from one rented UTF-8 buffer read back as the strings given.</summary>
public sealed class Utf8ColumnWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qindex-utf8col-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteOne(Repetition repetition, string?[] values)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".parquet");
        using var schema = ParquetTableSchema.Table([new("s", repetition, LogicalType.String, PhysicalType.ByteArray, 1)]);
        using var properties = ParquetTableSchema.Properties("test");
        using var file = new ParquetFileWriter(path, schema, properties);
        using (var rowGroup = file.AppendRowGroup())
        using (var column = rowGroup.NextColumn())
        {
            Utf8ColumnWriter.Write(column, values);
        }

        file.Close();
        return path;
    }

    private static string?[] ReadOne(string path)
    {
        using var file = new ParquetFileReader(path);
        using var rowGroup = file.RowGroup(0);
        using var column = rowGroup.Column(0).LogicalReader<string?>();
        return column.ReadAll((int)rowGroup.MetaData.NumRows);
    }

    [Fact]
    public void Nulls_empty_strings_quotes_newlines_percent_signs_and_characters_beyond_the_BMP_read_back_unchanged()
    {
        string?[] values =
        [
            null, string.Empty, "/a", "/q'uo\"te/100%/line\nbreak", "/\u00e9t\u00e9/\U00010348/x", null,
            .. Enumerable.Range(0, 5000).Select(i => i % 7 == 0 ? null : $"/dir {i % 13}/file \u00e9 {i}"),
        ];
        Assert.Equal(values, ReadOne(WriteOne(Repetition.Optional, values)));
    }

    [Fact]
    public void A_required_column_is_written_without_levels_and_refuses_a_null_naming_the_column()
    {
        string?[] values = ["/b", "/a/\u00e9", string.Empty];
        Assert.Equal(values, ReadOne(WriteOne(Repetition.Required, values)));
        var e = Assert.Throws<ArgumentException>(() => WriteOne(Repetition.Required, ["/a", null]));
        Assert.Contains("column 's' is required", e.Message, StringComparison.Ordinal);
    }
}
