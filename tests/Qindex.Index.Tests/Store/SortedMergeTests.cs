using System.Threading.Channels;
using Qindex.Index.Import;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// The k-way merge behind crawls and compaction: many inputs are merged in passes, never all open
/// at once (a crawl of 10M rows had 77 runs open and peaked at 3.7 GB), and the result is the same.
/// </summary>
public sealed class SortedMergeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qindex-merge-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Forty_inputs_merge_in_passes_into_the_sorted_union_without_their_deleted_rows()
    {
        var random = new Random(12);
        var inputs = new List<MergeInput>();
        var expected = new List<string>();
        string[] odd = ["it's", "line\nbreak", "100%", "caf\u00e9", "tab\there"];
        for (int i = 0; i < 40; i++)
        {
            // More rows than an input hands over in its queued batches, so a reader stays open.
            var rows = Enumerable.Range(0, random.Next(800, 1200))
                .Select(n => $"/d{random.Next(30)}/{odd[n % odd.Length]}-{i}-{n}")
                .Select(path => new FileRecord { Path = path, Name = path[(path.LastIndexOf('/') + 1)..], Size = path.Length })
                .OrderBy(r => r.Path, PathOrder.Instance)
                .ToList();
            string file = Path.Combine(_dir, $"input-{i}.parquet");
            IndexDataFileWriter.Write(file, rows, CancellationToken.None);
            var deleted = new HashSet<long>(Enumerable.Range(0, rows.Count).Where(_ => random.Next(4) == 0).Select(p => (long)p));
            expected.AddRange(rows.Where((_, p) => !deleted.Contains(p)).Select(r => r.Path));
            inputs.Add(new MergeInput(file, deleted));
        }

        expected.Sort(PathOrder.Instance);
        int outputs = 0;
        var scratch = new List<string>();
        var seen = new List<(int File, int Position, string Path)>();
        int mostOpen = 0;
        var merged = await SortedMerge.MergeAsync(
            inputs,
            3_000,
            () => Path.Combine(_dir, $"out-{outputs++}.parquet"),
            () =>
            {
                string path = Path.Combine(_dir, $"scratch-{scratch.Count}.parquet");
                scratch.Add(path);
                return path;
            },
            (file, position, row) =>
            {
                seen.Add((file, position, row.Path));
                if (seen.Count % 500 == 1)
                {
                    mostOpen = Math.Max(mostOpen, OpenInputs());
                }
            },
            CancellationToken.None);

        // Sorted within and disjoint across, and every kept row once.
        var paths = new List<string>();
        var byFile = new List<List<string>>();
        foreach (var file in merged)
        {
            var rows = await ReadPathsAsync(file.Path);
            byFile.Add(rows);
            Assert.Equal(rows.Order(PathOrder.Instance), rows);
            Assert.True(paths.Count == 0 || PathOrder.Instance.Compare(paths[^1], rows[0]) < 0);
            paths.AddRange(rows);
        }

        Assert.Equal(expected, paths);

        // Where each row went, as compaction records it for the key index.
        Assert.Equal(expected.Count, seen.Count);
        foreach (var (file, position, path) in seen)
        {
            Assert.Equal(path, byFile[file][position]);
        }

        // The first pass wrote intermediates, gone afterwards; the last pass read at most a few
        // inputs (a literal bound: all 40 were open at once before merges went in passes).
        Assert.InRange(mostOpen, 1, 16);
        Assert.NotEmpty(scratch);
        Assert.All(scratch, path => Assert.False(File.Exists(path), path));
    }

    [Fact]
    public async Task A_merge_that_fails_in_a_pass_leaves_no_intermediate_files()
    {
        var inputs = new List<MergeInput>();
        for (int i = 0; i < 40; i++)
        {
            string file = Path.Combine(_dir, $"input-{i}.parquet");
            if (i == 39)
            {
                // Not Parquet: the last group of the first pass fails after two groups were written.
                await File.WriteAllTextAsync(file, "not parquet");
            }
            else
            {
                IndexDataFileWriter.Write(file, [new FileRecord { Path = $"/d/{i:D2}" }], CancellationToken.None);
            }

            inputs.Add(new MergeInput(file));
        }

        var scratch = new List<string>();
        var error = await Assert.ThrowsAsync<ImportSourceException>(() => SortedMerge.MergeAsync(
            inputs,
            100,
            () => throw new InvalidOperationException("the final pass is never reached"),
            () =>
            {
                string path = Path.Combine(_dir, $"scratch-{scratch.Count}.parquet");
                scratch.Add(path);
                return path;
            },
            null,
            CancellationToken.None));

        Assert.Contains("input-39.parquet", error.Message, StringComparison.Ordinal);
        Assert.True(scratch.Count >= 2, $"{scratch.Count} intermediates written");
        Assert.All(scratch, path => Assert.False(File.Exists(path), path));
    }

    [Fact]
    public async Task A_few_inputs_merge_in_one_pass_without_intermediates()
    {
        var inputs = new List<MergeInput>();
        for (int i = 0; i < 3; i++)
        {
            string file = Path.Combine(_dir, $"input-{i}.parquet");
            IndexDataFileWriter.Write(file, [new FileRecord { Path = $"/a{i}" }, new FileRecord { Path = $"/b{i}" }], CancellationToken.None);
            inputs.Add(new MergeInput(file));
        }

        int outputs = 0;
        var merged = await SortedMerge.MergeAsync(inputs, 100, () => Path.Combine(_dir, $"out-{outputs++}.parquet"), () => throw new InvalidOperationException("no pass needed"), null, CancellationToken.None);

        Assert.Equal(["/a0", "/a1", "/a2", "/b0", "/b1", "/b2"], await ReadPathsAsync(Assert.Single(merged).Path));
    }

    [Fact]
    public async Task A_merge_hands_its_rows_to_the_output_file_as_it_goes_not_a_whole_file_at_once()
    {
        // An output file's rows were all held until the file was written (131,072 records, twice).
        // Every hundredth of the first 40,000 rows is watched; by row 80,000 nearly all must be
        // gone. The merge and its writer may still reach a few chunks of 4,096 rows behind the row
        // it is at (the writer's, those queued, one a channel keeps as the last item it made a
        // writer wait for): with the check at row 50,000 that reached back into the watched rows
        // under a loaded machine (113 alive once). The check now comes 40,000 rows (ten chunks)
        // after them, and the bound is a quarter of those watched; holding the output file kept all 400.
        var inputs = new List<MergeInput>();
        for (int i = 0; i < 3; i++)
        {
            string file = Path.Combine(_dir, $"input-{i}.parquet");
            IndexDataFileWriter.Write(file, [.. Enumerable.Range(0, 30_000).Select(n => new FileRecord { Path = $"/d/{n:D6}-{i}", Size = n })], CancellationToken.None);
            inputs.Add(new MergeInput(file));
        }

        var first = new List<WeakReference<FileRecord>>();
        int alive = -1, outputs = 0;
        var merged = await SortedMerge.MergeAsync(
            inputs,
            100_000,
            () => Path.Combine(_dir, $"out-{outputs++}.parquet"),
            () => throw new InvalidOperationException("no pass needed"),
            (file, position, row) =>
            {
                if (position < 40_000 && position % 100 == 0)
                {
                    first.Add(new WeakReference<FileRecord>(row));
                }
                else if (position == 80_000)
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
                    alive = first.Count(w => w.TryGetTarget(out _));
                }
            },
            CancellationToken.None);

        Assert.Equal(400, first.Count);
        Assert.InRange(alive, 0, first.Count / 4);
        Assert.Equal(90_000, Assert.Single(merged).RecordCount);
    }

    [Fact]
    public async Task A_merge_whose_output_cannot_be_written_fails_with_the_writes_error()
    {
        // Enough rows that the merge fills the writer's queue of chunks before the write fails.
        var inputs = new List<MergeInput>();
        for (int i = 0; i < 3; i++)
        {
            string file = Path.Combine(_dir, $"input-{i}.parquet");
            IndexDataFileWriter.Write(file, [.. Enumerable.Range(0, 20_000).Select(n => new FileRecord { Path = $"/d/{n:D6}-{i}" })], CancellationToken.None);
            inputs.Add(new MergeInput(file));
        }

        string missing = Path.Combine(_dir, "missing", "out.parquet");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => SortedMerge.MergeAsync(inputs, 50_000, () => missing, () => throw new InvalidOperationException("no pass needed"), null, CancellationToken.None));

        Assert.IsNotType<ChannelClosedException>(error);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Input and scratch files this process holds open now (Linux: /proc/self/fd).</summary>
    private int OpenInputs()
    {
        int open = 0;
        foreach (var fd in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
        {
            try
            {
                if (fd.LinkTarget is { } target && target.StartsWith(_dir, StringComparison.Ordinal) && !Path.GetFileName(target).StartsWith("out-", StringComparison.Ordinal))
                {
                    open++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while it was looked at.
            }
        }

        return open;
    }

    private static async Task<List<string>> ReadPathsAsync(string file) => (await PipelineFixtures.ReadRowsAsync(file)).Select(r => r.Path).ToList();
}
