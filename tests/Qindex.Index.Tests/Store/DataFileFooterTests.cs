using System.Text.RegularExpressions;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>Review finding 6 of issue 8: what other engines read from a data file's footer.</summary>
public sealed partial class DataFileFooterTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // parquet-mr's VersionParser pattern: application, version, optional build.
    [GeneratedRegex(@"^(.*?)\s+version\s*(?:([^(]*?)\s*(?:\(\s*build\s*([^)]*?)\s*\))?)?$")]
    private static partial Regex ParquetMrCreatedBy();

    private static void AssertFooter(string dataFile, string expectedApplication)
    {
        using var reader = new ParquetSharp.ParquetFileReader(dataFile);
        var match = ParquetMrCreatedBy().Match(reader.FileMetaData.CreatedBy);
        Assert.True(match.Success, $"created_by '{reader.FileMetaData.CreatedBy}' does not parse as NAME version X (build Y)");
        Assert.Equal(expectedApplication, match.Groups[1].Value);
        Assert.Matches(@"^\d+\.\d+\.\d+", match.Groups[2].Value);
        Assert.NotEmpty(match.Groups[3].Value);
        using var path = reader.FileMetaData.Schema.Column(0).SchemaNode;
        Assert.Equal("path", path.Name);
        Assert.Equal(ParquetSharp.Repetition.Required, path.Repetition);
    }

    [Fact]
    public async Task Crawled_data_files_say_who_wrote_them_in_parquet_mr_form_and_declare_path_required()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None);
        await using (var writer = store.BeginReplace())
        {
            await writer.AddAsync(new FileRecord { Path = "/a", Name = "a", Size = 1 }, CancellationToken.None);
            await writer.CommitAsync(null, CancellationToken.None);
        }

        var scan = await store.ScanAsync(CancellationToken.None);
        AssertFooter(Assert.Single(scan.DataFiles), "qindex");
    }
}
