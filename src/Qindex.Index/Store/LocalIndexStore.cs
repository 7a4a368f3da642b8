using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Qindex.Index.Store;

/// <summary>
/// An index kept in a local directory without a catalog: Parquet data files under
/// <c>DIR/warehouse/data</c> and a small JSON state file naming the current files, replaced
/// atomically (write then rename) on each commit. It carries the same data files the Iceberg store
/// writes (sorted by path, field ids), and is what <see cref="IndexStoreFactory"/> opens for a plain
/// <c>--index DIR</c> until the Iceberg table layer is wired in.
/// </summary>
public sealed class LocalIndexStore : IIndexStore
{
    /// <summary>Rows per sorted run and data file.</summary>
    public const int DefaultRunRows = 500_000;

    private const string StateFileName = "qindex-state.json";
    private readonly string _directory;
    private readonly string _dataDirectory;
    private readonly int _runRows;

    private LocalIndexStore(string directory, int runRows)
    {
        _directory = Path.GetFullPath(directory);
        _dataDirectory = Path.Combine(_directory, "warehouse", "data");
        _runRows = runRows;
    }

    /// <summary>Opens the index at <paramref name="directory"/>, creating it when missing.</summary>
    public static LocalIndexStore Open(string directory, int runRows = DefaultRunRows)
    {
        var store = new LocalIndexStore(directory, runRows);
        Directory.CreateDirectory(store._dataDirectory);
        return store;
    }

    private string StatePath => Path.Combine(_directory, StateFileName);

    public IIndexWriter BeginReplace() =>
        new Writer(this, new SortedRunWriter(_dataDirectory, _runRows, DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")));

    public async Task<IndexScan> ScanAsync(CancellationToken cancellationToken)
    {
        var state = await ReadStateAsync(cancellationToken).ConfigureAwait(false);
        var current = state.Snapshots.LastOrDefault();
        return new IndexScan(current?.DataFiles.Select(f => Path.Combine(_dataDirectory, f.File)).ToArray() ?? [], []);
    }

    public async Task<IndexStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var state = await ReadStateAsync(cancellationToken).ConfigureAwait(false);
        var current = state.Snapshots.LastOrDefault();
        IndexBaseline? baseline = current?.Summary.TryGetValue("qindex.cluster-host", out var host) == true
            ? new IndexBaseline(
                host,
                current.Summary.GetValueOrDefault("qindex.root-path", ""),
                current.Summary.GetValueOrDefault("qindex.cluster-snapshot-id"),
                DateTimeOffset.Parse(current.Summary.GetValueOrDefault("qindex.baseline-taken", "0001-01-01T00:00:00Z"), CultureInfo.InvariantCulture))
            : null;
        return new IndexStatus(
            current?.DataFiles.Sum(f => f.RecordCount) ?? 0,
            current?.DataFiles.Sum(f => f.FileSizeInBytes) ?? 0,
            current?.DataFiles.Count ?? 0,
            0,
            state.Snapshots.Count,
            baseline,
            current?.Committed,
            _directory);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<State> ReadStateAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(StatePath))
        {
            return new State();
        }

        await using var stream = File.OpenRead(StatePath);
        return await JsonSerializer.DeserializeAsync(stream, LocalStateJson.Default.State, cancellationToken).ConfigureAwait(false)
            ?? throw new IndexStoreException($"{StatePath}: empty index state");
    }

    private async Task CommitAsync(IReadOnlyList<IndexDataFile> files, Dictionary<string, string> summary, CancellationToken cancellationToken)
    {
        // One committer at a time: the state file is read, extended and replaced as a unit.
        await using var commitLock = await AcquireCommitLockAsync(cancellationToken).ConfigureAwait(false);
        var state = await ReadStateAsync(cancellationToken).ConfigureAwait(false);
        state.Snapshots.Add(new Snapshot
        {
            Committed = DateTimeOffset.UtcNow,
            Summary = summary,
            DataFiles = files.Select(f => new DataFile
            {
                File = Path.GetFileName(f.Path),
                RecordCount = f.RecordCount,
                FileSizeInBytes = f.FileSizeInBytes,
                LowerPath = f.LowerPath,
                UpperPath = f.UpperPath,
            }).ToList(),
        });

        // The newest snapshot is current; the one before keeps its files so a reader that started
        // before this commit can finish. Older snapshots stay as history without files.
        var expired = state.Snapshots.Count >= 3 ? state.Snapshots[^3] : null;
        var expiredFiles = expired?.DataFiles ?? [];
        if (expired is not null)
        {
            expired.DataFiles = [];
        }

        var temp = StatePath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var stream = File.Create(temp))
        {
            await JsonSerializer.SerializeAsync(stream, state, LocalStateJson.Default.State, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temp, StatePath, overwrite: true);
        var live = state.Snapshots.TakeLast(2).SelectMany(s => s.DataFiles).Select(f => f.File).ToHashSet(StringComparer.Ordinal);
        foreach (var file in expiredFiles.Where(f => !live.Contains(f.File)))
        {
            File.Delete(Path.Combine(_dataDirectory, file.File));
        }
    }

    private async Task<FileStream> AcquireCommitLockAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(_directory, "qindex-state.lock");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 600)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private sealed class Writer(LocalIndexStore store, SortedRunWriter runs) : IBulkIndexWriter
    {
        private readonly Dictionary<string, string> _summary = new(StringComparer.Ordinal);

        public long RowsAdded => runs.RowsAdded;

        public ValueTask AddAsync(Records.FileRecord record, CancellationToken cancellationToken) => runs.AddAsync(record, cancellationToken);

        public void AddSummaryProperty(string key, string value) => _summary[key] = value;

        public string NewDataFilePath() => runs.NewDataFilePath();

        public void AddDataFile(IndexDataFile file) => runs.AddDataFile(file);

        public async Task CommitAsync(IndexBaseline? baseline, CancellationToken cancellationToken)
        {
            var files = await runs.CompleteAsync(cancellationToken).ConfigureAwait(false);
            if (baseline is not null)
            {
                _summary["qindex.cluster-host"] = baseline.ClusterHost;
                _summary["qindex.root-path"] = baseline.RootPath;
                if (baseline.ClusterSnapshotId is not null)
                {
                    _summary["qindex.cluster-snapshot-id"] = baseline.ClusterSnapshotId;
                }

                _summary["qindex.baseline-taken"] = baseline.Taken.ToString("O", CultureInfo.InvariantCulture);
            }

            await store.CommitAsync(files, _summary, cancellationToken).ConfigureAwait(false);
            runs.MarkCommitted();
        }

        public ValueTask DisposeAsync() => runs.DisposeAsync();
    }

    internal sealed class State
    {
        public List<Snapshot> Snapshots { get; set; } = [];
    }

    internal sealed class Snapshot
    {
        public DateTimeOffset Committed { get; set; }

        public Dictionary<string, string> Summary { get; set; } = [];

        public List<DataFile> DataFiles { get; set; } = [];
    }

    internal sealed class DataFile
    {
        public string File { get; set; } = "";

        public long RecordCount { get; set; }

        public long FileSizeInBytes { get; set; }

        public string LowerPath { get; set; } = "";

        public string UpperPath { get; set; } = "";
    }
}

/// <summary>Source-generated JSON for the local store's state file.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(LocalIndexStore.State))]
internal sealed partial class LocalStateJson : JsonSerializerContext;
