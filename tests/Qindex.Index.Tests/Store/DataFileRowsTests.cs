using Qindex.Index.Import;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>Reading chosen rows of a data file gives the same rows as reading it whole.</summary>
public sealed class DataFileRowsTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Rows_read_at_positions_equal_the_same_rows_of_a_whole_read_across_row_groups()
    {
        // Three row groups (64k, 64k, the rest), optional columns null in some rows, awkward paths.
        var rows = Enumerable.Range(0, 2 * IndexDataFileWriter.RowGroupRows + 5000)
            .Select(i => new FileRecord
            {
                Path = $"/d{i % 97:D2}/" + (i % 11 == 0 ? PipelineFixtures.OddPaths[i % PipelineFixtures.OddPaths.Length].TrimStart('/') + i : $"f{i:D6}"),
                Name = i % 5 == 0 ? null : $"f{i}",
                Size = i % 7 == 0 ? null : i * 3L,
                Owner = i % 3 == 0 ? null : i,
                EaHidden = i % 4 == 0 ? null : i % 2 == 0,
                ModificationTime = i % 6 == 0 ? null : DateTimeOffset.UnixEpoch.AddSeconds(i),
                NumLinks = i % 9 == 0 ? null : i % 4,
                Type = i % 8 == 0 ? null : i % 3 == 0 ? "FS_FILE_TYPE_DIRECTORY" : "FS_FILE_TYPE_FILE",
            })
            .OrderBy(r => r.Path, PathOrder.Instance)
            .ToList();
        Assert.Equal(rows.Count, rows.Select(r => r.Path).Distinct().Count());
        var file = Path.Combine(_dir, "rows.parquet");
        IndexDataFileWriter.Write(file, rows, CancellationToken.None);

        var whole = await PipelineFixtures.ReadRowsAsync(file);

        var random = new Random(7);
        int last = whole.Count - 1, boundary = IndexDataFileWriter.RowGroupRows;
        var positions = Enumerable.Range(0, 300).Select(_ => random.Next(whole.Count))
            .Concat([0, last, boundary - 1, boundary, 2 * boundary - 1, 2 * boundary])
            .Distinct().Order().ToArray();
        var read = DataFileRows.ReadRows(file, positions, CancellationToken.None);

        Assert.Equal(positions.Length, read.Length);
        for (int k = 0; k < positions.Length; k++)
        {
            // The path column is left null: the store writes moved rows under paths it holds.
            int position = positions[k];
            var (columns, index) = read[k];
            var stored = (string?[])columns[0];
            Assert.Null(stored[index]);
            var withPaths = (Array[])columns.Clone();
            withPaths[0] = Enumerable.Repeat(whole[position].Path, stored.Length).ToArray();

            // String columns are held as UTF-8: written back as they were read.
            for (int c = 1; c < columns.Length; c++)
            {
                if (IndexColumns.All[c].Kind == ColumnKind.String)
                {
                    var held = Assert.IsType<Utf8Strings>(Utf8Strings.Of(columns[c]));
                    withPaths[c] = Enumerable.Range(0, held.Count).Select(held.ToString).ToArray();
                }
            }

            Assert.Equal(whole[position], FileRecordColumns.FromColumns(withPaths, index + 1)[index]);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => DataFileRows.ReadRows(file, [whole.Count], CancellationToken.None));

        // Read as strings (a catch-up's rows, which become records), a column of few values shares
        // one string per value in each row group read (three here), instead of a copy a row.
        var typeColumn = IndexColumns.All.Select(c => c.Name).ToList().IndexOf("type");
        var asStrings = IndexParquetReader.ReadColumnsAt(file, positions, CancellationToken.None);
        var types = asStrings.SelectMany(r => ((string?[])r.Columns[typeColumn]).Take(r.Count)).OfType<string>().ToList();
        Assert.True(types.Count > 200);
        Assert.InRange(types.Distinct(ReferenceEqualityComparer.Instance).Count(), 2, 6);

        // The paths alone at those positions (the hard-link lookup's read) are the same paths.
        var sorted = positions.Order().ToList();
        var paths = DataFileRows.ReadPathsAt(file, sorted);
        Assert.Equal(positions.Length, paths.Count);
        Assert.All(sorted, p => Assert.Equal(whole[p].Path, paths[p]));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataFileRows.ReadPathsAt(file, [whole.Count]));
        Assert.Throws<ArgumentException>(() => DataFileRows.ReadPathsAt(file, [5, 5]));

        // The paths as UTF-8 in one buffer (the store's paths cache) are the same paths, in the
        // same order, and a prefix's range is the run a string search finds.
        var utf8 = new IcebergIndexStore.FilePaths(file, DataFileRows.ReadPathsUtf8(file));
        Assert.True(utf8.Sorted);
        Assert.Equal(whole.Select(r => r.Path), Enumerable.Range(0, utf8.Count).Select(utf8.PathAt));
        foreach (var prefix in new[] { "/d05/", "/d96/", "/d00/", "/zz/" })
        {
            var (start, end) = utf8.RangeOf(System.Text.Encoding.UTF8.GetBytes(prefix));
            var expected = Enumerable.Range(0, whole.Count).Where(i => whole[i].Path.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            Assert.Equal(expected, Enumerable.Range(start, end - start));
        }
    }

    [Fact]
    public void Paths_kept_as_utf8_sort_and_hash_as_their_strings_do()
    {
        // A character above U+FFFF sorts after U+E000..U+FFFF in UTF-8 (PathOrder), not in UTF-16.
        string[] paths = ["/a/\uE000", "/a/\U0001F600", "/a/b", "/a/caf\u00e9"];
        paths = paths.Order(PathOrder.Instance).ToArray();
        Assert.Equal("/a/\U0001F600", paths[^1]);
        var kept = new IcebergIndexStore.FilePaths("/local", paths);

        Assert.True(kept.Sorted);
        Assert.Equal(paths, Enumerable.Range(0, kept.Count).Select(kept.PathAt));
        Assert.All(Enumerable.Range(0, kept.Count), i => Assert.Equal(PathKeyIndex.KeyOf(paths[i]), PathKeyIndex.KeyOf(kept.Utf8At(i))));
        Assert.Equal((0, 4), kept.RangeOf("/a/"u8));
        Assert.Equal((2, 2), kept.RangeOf("/a/d"u8)); // none: where such a path would sort, after "/a/caf\u00e9"
    }
}
