using System.Text;
using Qindex.Index.Import;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Import;

public sealed class ImportBoundsTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Review finding 2 of issue 8: a 5 KB path makes the Parquet writer drop the statistics of its
    /// row group; the file's path bounds must then be absent, never taken from the other row groups.
    /// </summary>
    [Fact]
    public async Task A_row_group_without_min_max_leaves_the_file_without_bounds_rather_than_wrong_ones()
    {
        var source = Path.Combine(_dir, "walk.ndjson");
        string longPath = "/z/" + new string('x', 5000);
        await using (var writer = new StreamWriter(source, false, new UTF8Encoding(false)))
        {
            for (var i = 0; i < 70_000; i++)
            {
                await writer.WriteLineAsync(PipelineFixtures.AttributeJson($"/d/{i:D6}", i));
            }

            await writer.WriteLineAsync(PipelineFixtures.AttributeJson(longPath, 1));
        }

        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(Path.Combine(_dir, "index")), CancellationToken.None);
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
        Assert.Equal(70_001, result.RowsImported);

        var live = await store.Table.LiveEntriesAsync(CancellationToken.None);
        var scan = await store.ScanAsync(CancellationToken.None);
        Assert.Equal(live.Count, scan.DataFiles.Count);
        var outside = 0;
        foreach (var entry in live)
        {
            var file = entry.DataFile;
            string local = scan.DataFiles.Single(f => file.FilePath.EndsWith(Path.GetFileName(f), StringComparison.Ordinal));
            byte[]? lower = file.LowerBounds?.GetValueOrDefault(IcebergIndexStore.PathFieldId);
            byte[]? upper = file.UpperBounds?.GetValueOrDefault(IcebergIndexStore.PathFieldId);
            foreach (string path in ReadPaths(local))
            {
                byte[] utf8 = Encoding.UTF8.GetBytes(path);
                if ((lower is not null && utf8.AsSpan().SequenceCompareTo(lower) < 0) || (upper is not null && utf8.AsSpan().SequenceCompareTo(upper) > 0))
                {
                    outside++;
                }
            }
        }

        Assert.Equal(0, outside);

        // The file holding the long path has no path bound at all: its value count stays.
        var holder = live.Single(e => e.DataFile.RecordCount == 70_001).DataFile;
        Assert.False(holder.UpperBounds?.ContainsKey(IcebergIndexStore.PathFieldId) ?? false);
        Assert.False(holder.LowerBounds?.ContainsKey(IcebergIndexStore.PathFieldId) ?? false);
        Assert.Equal(70_001, holder.ValueCounts![IcebergIndexStore.PathFieldId]);
    }

    /// <summary>Issue 8 build 5: a bulk import writes rows as they come and says so in the manifest.</summary>
    [Fact]
    public async Task Bulk_imported_files_are_registered_unsorted_with_bounds_that_hold_every_row()
    {
        var source = Path.Combine(_dir, "users.parquet");
        await PipelineFixtures.WriteUsersParquetAsync(source, 3000);
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(Path.Combine(_dir, "index")), CancellationToken.None);
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
        Assert.Equal(3000, result.RowsImported);
        var entry = Assert.Single(await store.Table.LiveEntriesAsync(CancellationToken.None));
        Assert.Equal(Qindex.Iceberg.Spec.SortOrder.Unsorted.OrderId, entry.DataFile.SortOrderId);
        var paths = ReadPaths(Assert.Single((await store.ScanAsync(CancellationToken.None)).DataFiles));
        Assert.Equal(3000, paths.Count);
        byte[] lower = entry.DataFile.LowerBounds![IcebergIndexStore.PathFieldId];
        byte[] upper = entry.DataFile.UpperBounds![IcebergIndexStore.PathFieldId];
        Assert.Equal(paths.Select(Encoding.UTF8.GetBytes).Min(ByteOrder.Instance), lower);
        Assert.Equal(paths.Select(Encoding.UTF8.GetBytes).Max(ByteOrder.Instance), upper);
    }

    /// <summary>Issue 8 build 5: compaction sorts what the import left unsorted; its files declare path required.</summary>
    [Fact]
    public async Task Compaction_turns_imported_files_into_sorted_disjoint_files_with_path_required()
    {
        var sources = Path.Combine(_dir, "users.parquet");
        await PipelineFixtures.WriteUsersParquetAsync(sources, 700);
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(Path.Combine(_dir, "index")), CancellationToken.None);
        await IndexImporter.ImportAsync(ImportSources.Expand([sources]), store, null, CancellationToken.None);
        Assert.All(await store.Table.LiveEntriesAsync(CancellationToken.None), e => Assert.Equal(0, e.DataFile.SortOrderId));

        var result = await Qindex.Index.Compaction.IndexCompactor.CompactAsync(store, new Qindex.Index.Compaction.CompactionOptions { Force = true, RowsPerFile = 250 }, CancellationToken.None);
        Assert.True(result.Compacted);
        Assert.True(await Compaction.CompactionTests.AssertSortedAndDisjointAsync(store) >= 3);
        var files = (await store.ScanAsync(CancellationToken.None)).DataFiles;
        Assert.Equal(700, files.Sum(f => ReadPaths(f).Count));
        foreach (var file in files)
        {
            using var reader = new ParquetSharp.ParquetFileReader(file);
            using var path = reader.FileMetaData.Schema.Column(0).SchemaNode;
            Assert.Equal(ParquetSharp.Repetition.Required, path.Repetition);
        }
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    private static List<string> ReadPaths(string dataFile)
    {
        using var reader = new ParquetSharp.ParquetFileReader(dataFile);
        var paths = new List<string>();
        for (var g = 0; g < reader.FileMetaData.NumRowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            using var column = rowGroup.Column(0).LogicalReader<string>();
            paths.AddRange(column.ReadAll((int)rowGroup.MetaData.NumRows));
        }

        return paths;
    }
}
