using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// A merge writes its output a chunk of rows at a time (it held a whole output file's rows
/// before): the file it makes must be the file written from all the rows at once.
/// </summary>
public sealed class IndexDataFileWriterTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_file_appended_in_chunks_of_any_size_is_byte_for_byte_the_file_written_whole()
    {
        // Three row groups (64k, 64k, the rest), every column set, nulls and awkward paths among them.
        var rows = Enumerable.Range(0, 2 * IndexDataFileWriter.RowGroupRows + 5000)
            .Select(i => PipelineFixtures.FullRecord(
                $"/d{i % 97:D2}/" + (i % 11 == 0 ? PipelineFixtures.OddPaths[i % PipelineFixtures.OddPaths.Length].TrimStart('/') + i : $"f{i:D6}") + (i % 13 == 0 ? "/" : string.Empty),
                i))
            .OrderBy(r => r.Path, PathOrder.Instance)
            .ToList();
        var whole = Path.Combine(_dir, "whole.parquet");
        var written = IndexDataFileWriter.Write(whole, rows, CancellationToken.None);

        var appended = Path.Combine(_dir, "appended.parquet");
        var random = new Random(3);
        IndexDataFile made;
        using (var appender = new IndexDataFileWriter.Appender(appended))
        {
            // Chunks of one row, of a few thousand, and ones that cross a row group's end.
            for (int at = 0; at < rows.Count;)
            {
                int count = Math.Min(rows.Count - at, random.Next(3) switch { 0 => 1, 1 => random.Next(2, 5000), _ => random.Next(40_000, 70_000) });
                appender.Append(rows, at, count);
                at += count;
                Assert.Equal(at, appender.RowCount);
            }

            made = appender.Complete();
        }

        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(appended));
        Assert.Equal(written with { Path = appended }, made);
    }

    [Fact]
    public void An_appender_without_rows_writes_no_data_file()
    {
        using var appender = new IndexDataFileWriter.Appender(Path.Combine(_dir, "empty.parquet"));

        Assert.Throws<InvalidOperationException>(() => appender.Complete());
    }
}
