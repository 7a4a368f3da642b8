using System.Text;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;

namespace Qindex.Index.Store;

/// <summary>A live data file as the store tracks it: its location, manifest entry and path bounds.</summary>
/// <param name="Location">The file's location in the table.</param>
/// <param name="File">Its manifest entry.</param>
/// <param name="LowerPath">The smallest path in the file, or null when the manifest has no bound.</param>
/// <param name="UpperPath">The largest path in the file, or null when the manifest has no bound.</param>
internal sealed record LiveDataFile(string Location, DataFile File, string? LowerPath, string? UpperPath)
{
    /// <summary>Whether some path starting with <paramref name="prefix"/> can be in the file.</summary>
    public bool MayHoldPrefix(string prefix) =>
        (UpperPath is null || PathOrder.Instance.Compare(UpperPath, prefix) >= 0)
        && (LowerPath is null || PathOrder.Instance.Compare(LowerPath, prefix) <= 0 || LowerPath.StartsWith(prefix, StringComparison.Ordinal));
}

/// <summary>
/// The store's picture of one snapshot: its live data files, numbered, and the key index of every
/// live row. A change set resolves against it and updates it after its commit lands.
/// </summary>
internal sealed class LiveIndex
{
    private readonly List<LiveDataFile?> _files = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    /// <summary>An empty picture to fill with <see cref="AddFile"/> and <see cref="Keys"/> (a compaction's output).</summary>
    public static LiveIndex Create(long? snapshotId, PathKeyIndex keys) => new(snapshotId, keys);

    private LiveIndex(long? snapshotId, PathKeyIndex keys)
    {
        SnapshotId = snapshotId;
        Keys = keys;
    }

    /// <summary>The snapshot this picture is of.</summary>
    public long? SnapshotId { get; set; }

    /// <summary>Every live row's key and locator.</summary>
    public PathKeyIndex Keys { get; }

    /// <summary>Live data files with their numbers.</summary>
    public IEnumerable<(int Id, LiveDataFile File)> Files => _files.Select((f, i) => (i, f)).Where(p => p.f is not null).Select(p => (p.i, p.f!));

    /// <summary>Live data files.</summary>
    public int FileCount => _ids.Count;

    public LiveDataFile File(int id) => _files[id] ?? throw new InvalidOperationException($"data file {id} is no longer live");

    /// <summary>Registers a live data file and returns its number.</summary>
    public int AddFile(DataFile file)
    {
        var live = new LiveDataFile(file.FilePath, file, Bound(file.LowerBounds), Bound(file.UpperBounds));
        _files.Add(live);
        _ids[file.FilePath] = _files.Count - 1;
        return _files.Count - 1;
    }

    /// <summary>Forgets a data file and every key that points into it.</summary>
    public void RemoveFile(string location)
    {
        if (_ids.Remove(location, out int id))
        {
            _files[id] = null;
            Keys.RemoveFile(id);
        }
    }

    /// <summary>
    /// Forgets a data file without touching the keys: for a rewrite that sets a new locator for
    /// every live row the file held.
    /// </summary>
    public void ForgetFile(string location)
    {
        if (_ids.Remove(location, out int id))
        {
            _files[id] = null;
        }
    }

    private static string? Bound(IReadOnlyDictionary<int, byte[]>? bounds) =>
        bounds is not null && bounds.TryGetValue(IcebergIndexStore.PathFieldId, out var b) ? Encoding.UTF8.GetString(b) : null;

    /// <summary>Reads the current snapshot's files into a new picture: every live row's path, hashed.</summary>
    public static async Task<LiveIndex> BuildAsync(IcebergTable table, string cacheDirectory, CancellationToken cancellationToken)
    {
        var snapshot = table.Metadata.CurrentSnapshot;
        var entries = await table.LiveEntriesAsync(cancellationToken, snapshot).ConfigureAwait(false);
        var deleted = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.DataFile.Content == FileContent.PositionDeletes))
        {
            string local = await table.IO.GetLocalCopyAsync(entry.DataFile.FilePath, cacheDirectory, cancellationToken).ConfigureAwait(false);
            foreach (var d in PositionDeleteFile.Read(local))
            {
                if (!deleted.TryGetValue(d.FilePath, out var set))
                {
                    deleted[d.FilePath] = set = [];
                }

                set.Add(d.Position);
            }
        }

        var dataFiles = entries.Where(e => e.DataFile.Content == FileContent.Data).Select(e => e.DataFile).ToList();
        var locals = new string[dataFiles.Count];
        for (int i = 0; i < locals.Length; i++)
        {
            locals[i] = await table.IO.GetLocalCopyAsync(dataFiles[i].FilePath, cacheDirectory, cancellationToken).ConfigureAwait(false);
        }

        long rows = dataFiles.Sum(f => f.RecordCount);
        var live = new LiveIndex(snapshot?.SnapshotId, new PathKeyIndex((int)Math.Min(rows, int.MaxValue / 4)));

        // Files are read side by side a few at a time and their keys added in file order, so what
        // is held besides the key index is a few files' keys, not every file's (at 10M rows the
        // keys and sizes of all files took 320 MB more at the peak).
        int chunk = Math.Max(1, Environment.ProcessorCount * 2);
        var keys = new UInt128[chunk][];
        var sizes = new long?[chunk][];
        for (int start = 0; start < dataFiles.Count; start += chunk)
        {
            int count = Math.Min(chunk, dataFiles.Count - start);
            await Parallel.ForAsync(0, count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, (j, _) =>
            {
                var (paths, fileSizes) = DataFileRows.ReadPathsAndSizes(locals[start + j]);
                sizes[j] = fileSizes;
                var k = new UInt128[paths.Length];
                for (int p = 0; p < paths.Length; p++)
                {
                    k[p] = PathKeyIndex.KeyOf(paths[p]);
                }

                keys[j] = k;
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);
            for (int j = 0; j < count; j++)
            {
                var file = dataFiles[start + j];
                int id = live.AddFile(file);
                deleted.TryGetValue(file.FilePath, out var gone);
                var k = keys[j];
                var s = sizes[j];
                for (int p = 0; p < k.Length; p++)
                {
                    if (gone is null || !gone.Contains(p))
                    {
                        live.Keys.Set(k[p], new RowLocator(id, p), s.Length > p ? s[p] : null);
                    }
                }

                keys[j] = [];
                sizes[j] = [];
            }
        }

        return live;
    }
}
