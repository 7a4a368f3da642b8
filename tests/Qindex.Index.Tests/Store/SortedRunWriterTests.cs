using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// A replacing write's runs are held column by column and sorted by their paths' UTF-8 bytes (they
/// were records sorted by <see cref="PathOrder"/>): the files must hold the same rows in the same
/// order, every column intact.
/// </summary>
public sealed class SortedRunWriterTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Paths whose UTF-16 order is not their UTF-8 order (a character above U+FFFF against one in
    /// U+E000..U+FFFF), a prefix of another, and the usual awkward ones.
    /// </summary>
    private static readonly string[] Awkward = [.. PipelineFixtures.OddPaths, "/odd/\uff21", "/odd/\ud83d\udcc1", "/odd/\ue000", "/odd", "/odd/", "/odd/a", "/odd/a/b"];

    [Fact]
    public async Task Runs_of_scrambled_rows_merge_into_the_rows_sorted_by_path_every_column_kept()
    {
        var rows = Rows(5_500);
        await using var writer = await WriteScrambledAsync(rows);
        var files = await writer.CompleteAsync(CancellationToken.None);

        // Six runs, each written by one of the two reused buffers, merged into files of a run's size.
        Assert.Equal(6, files.Count);
        var read = new List<FileRecord>();
        foreach (var file in files)
        {
            var inFile = await ReadAsync(file.Path);
            Assert.Equal(inFile[0].Path, file.LowerPath);
            Assert.Equal(inFile[^1].Path, file.UpperPath);
            read.AddRange(inFile);
        }

        Assert.Equal(rows, read);
    }

    [Fact]
    public async Task Rows_of_one_run_are_written_sorted_as_one_file_without_a_merge()
    {
        var rows = Rows(700);
        await using var writer = await WriteScrambledAsync(rows);
        var file = Assert.Single(await writer.CompleteAsync(CancellationToken.None));

        Assert.Equal(rows, await ReadAsync(file.Path));
        Assert.Equal(rows[0].Path, file.LowerPath);
        Assert.Equal(rows[^1].Path, file.UpperPath);
    }

    [Theory]
    [InlineData(20_000, 20_000)]
    [InlineData(70_000, 100_000)]
    public async Task Published_files_have_data_file_row_groups_whatever_the_runs_were_written_in(int runRows, int rows)
    {
        // Runs the merge reads are written in small row groups; what a table publishes is not:
        // neither a run that is the only one (here exactly a run's rows) nor the merge's output.
        await using var writer = new SortedRunWriter(_dir, runRows, "test");
        await AddAsync(writer, 0, rows, null);

        var files = await writer.CompleteAsync(CancellationToken.None);

        Assert.Equal((rows + runRows - 1) / runRows, files.Count);
        foreach (var file in files)
        {
            using var reader = new ParquetSharp.ParquetFileReader(file.Path);
            var metadata = reader.FileMetaData;
            Assert.Equal((int)((metadata.NumRows + IndexDataFileWriter.RowGroupRows - 1) / IndexDataFileWriter.RowGroupRows), metadata.NumRowGroups);
        }

        Assert.Equal(rows, (await ReadAsync(files[0].Path)).Count + (files.Count > 1 ? (await ReadAsync(files[1].Path)).Count : 0));
    }

    [Fact]
    public async Task A_run_keeps_its_rows_as_columns_not_the_records_added()
    {
        // Records kept until their run is written lived long enough to reach the collector's
        // oldest generation, and the walk's memory grew to several times its rows.
        await using var writer = new SortedRunWriter(_dir, 100_000, "test");
        var first = new List<WeakReference<FileRecord>>();
        await AddAsync(writer, 0, 100, first);
        await AddAsync(writer, 100, 10_000, null);

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);

        Assert.DoesNotContain(first, w => w.TryGetTarget(out _));
        var file = Assert.Single(await writer.CompleteAsync(CancellationToken.None));
        Assert.Equal(10_000, file.RecordCount);
    }

    /// <summary>Adds rows [from, to), each tracked in <paramref name="tracked"/> if given.</summary>
    private static async Task AddAsync(SortedRunWriter writer, int from, int to, List<WeakReference<FileRecord>>? tracked)
    {
        for (int i = from; i < to; i++)
        {
            var row = PipelineFixtures.FullRecord($"/d/f{i:D5}", i);
            tracked?.Add(new WeakReference<FileRecord>(row));
            await writer.AddAsync(row, CancellationToken.None);
        }
    }

    /// <summary><paramref name="count"/> rows with every column set (nulls among them), sorted by path.</summary>
    private static List<FileRecord> Rows(int count) =>
        [.. Enumerable.Range(0, count)
            .Select(i => PipelineFixtures.FullRecord(i < Awkward.Length ? Awkward[i] : $"/d{i % 37:D2}/f{i:D5}" + (i % 10 == 0 ? "/" : string.Empty), i))
            .OrderBy(r => r.Path, PathOrder.Instance)];

    private static IEnumerable<FileRecord> Scrambled(List<FileRecord> rows)
    {
        var random = new Random(5);
        return rows.OrderBy(_ => random.Next());
    }

    /// <summary>A writer of 1,000-row runs given <paramref name="rows"/> out of order.</summary>
    private async Task<SortedRunWriter> WriteScrambledAsync(List<FileRecord> rows)
    {
        var writer = new SortedRunWriter(_dir, 1_000, "test");
        foreach (var row in Scrambled(rows))
        {
            await writer.AddAsync(row, CancellationToken.None);
        }

        return writer;
    }

    private static Task<List<FileRecord>> ReadAsync(string file) => PipelineFixtures.ReadRowsAsync(file);
}
