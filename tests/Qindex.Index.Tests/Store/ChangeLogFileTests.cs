using ParquetSharp;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

public sealed class ChangeLogFileTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_moves_renames_are_written_after_the_sets_own_rows_from_their_UTF8_paths_across_row_groups()
    {
        var time = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        var rows = new List<ChangeLogRow>
        {
            new(time, "insert", "/n\u00e9w", null, null, 5, 42),
            new(time, "delete", "/gone \"q\"", null, 9, null, 42),
        };

        // More renames than a row group of the log holds (65,536), odd names among them.
        const int count = 70_000;
        var region = new OverlayRegion("/from \u00e9/", "/to/", IncludeSelf: true, Except: null);
        var sizes = new long?[count];
        var columns = new Array[IndexColumns.All.Count];
        columns[IndexColumns.All.Select(c => c.Name).ToList().IndexOf("size")] = sizes;
        var moved = new MovedRows();
        var tails = new string[count];
        for (int i = 0; i < count; i++)
        {
            tails[i] = i < PipelineFixtures.OddPaths.Length ? PipelineFixtures.OddPaths[i][1..] : $"d{i / 1000}/f{i}";
            sizes[i] = i % 7 == 0 ? null : i;
            moved.Add(new RowLocator(0, i), (UInt128)i, region, System.Text.Encoding.UTF8.GetBytes(tails[i]));
            moved.SetValues(i, columns, i);
        }

        // A row the set wrote itself at its new path is not logged as moved.
        moved.Drop(count - 1);
        string file = Path.Combine(_dir, "log.parquet");
        ChangeLogFile.Write(file, rows, new MovedLogRows(moved, time, 42));

        using var reader = new ParquetFileReader(file);
        Assert.True(reader.FileMetaData.NumRowGroups >= 2);
        var read = new List<(long Time, string? Kind, string? Path, string? Previous, long? Before, long? After, long? Snapshot)>();
        for (int g = 0; g < reader.FileMetaData.NumRowGroups; g++)
        {
            using var group = reader.RowGroup(g);
            int n = checked((int)group.MetaData.NumRows);
            var t = group.Column(0).LogicalReader<DateTime?>().ReadAll(n);
            var kind = group.Column(1).LogicalReader<string?>().ReadAll(n);
            var path = group.Column(2).LogicalReader<string?>().ReadAll(n);
            var previous = group.Column(3).LogicalReader<string?>().ReadAll(n);
            var before = group.Column(4).LogicalReader<long?>().ReadAll(n);
            var after = group.Column(5).LogicalReader<long?>().ReadAll(n);
            var snapshot = group.Column(6).LogicalReader<long?>().ReadAll(n);
            for (int i = 0; i < n; i++)
            {
                read.Add((new DateTimeOffset(t[i]!.Value, TimeSpan.Zero).ToUnixTimeMilliseconds(), kind[i], path[i], previous[i], before[i], after[i], snapshot[i]));
            }
        }

        Assert.Equal(2 + count - 1, read.Count);
        long ms = time.ToUnixTimeMilliseconds();
        Assert.Equal((ms, "insert", "/n\u00e9w", null, null, 5L, 42L), read[0]);
        Assert.Equal((ms, "delete", "/gone \"q\"", null, 9L, null, 42L), read[1]);
        for (int i = 0; i < count - 1; i++)
        {
            Assert.Equal((ms, "rename", "/to/" + tails[i], "/from \u00e9/" + tails[i], sizes[i], sizes[i], 42L), read[2 + i]);
        }
    }
}
