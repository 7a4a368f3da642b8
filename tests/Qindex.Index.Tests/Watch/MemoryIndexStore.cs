using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Watch;

/// <summary>
/// An in-memory IIndexStore with row-level change sets, for watcher tests that check what the
/// pipeline asks of a store independently of Iceberg. Follows the IIndexChangeSet contract:
/// changes apply in order at commit, nothing is visible before it.
/// </summary>
internal sealed class MemoryIndexStore : IIndexStore, Qindex.Index.Watch.IHardLinkSource
{
    private readonly object _gate = new();
    private SortedDictionary<string, FileRecord> _rows = new(StringComparer.Ordinal);
    private IndexBaseline? _baseline;
    private IReadOnlyDictionary<string, string> _checkpoint = new Dictionary<string, string>();
    private int _snapshots;

    public int Commits => _snapshots;

    /// <summary>Every commit, in order: its checkpoint's kind and how many changes it held.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string? Kind, int Changes)> CommitLog { get; } = new();

    /// <summary>Awaited by every change set's commit before it applies (with its checkpoint): lets a test fail or freeze a commit.</summary>
    public Func<IReadOnlyDictionary<string, string>, Task>? BeforeCommit { get; set; }

    public IReadOnlyDictionary<string, FileRecord> Rows
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, FileRecord>(_rows, StringComparer.Ordinal);
            }
        }
    }

    public IIndexWriter BeginReplace() => new Writer(this);

    public IIndexChangeSet BeginChanges() => new ChangeSet(this);

    public Task<IndexScan> ScanAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IndexStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(new IndexStatus(_rows.Count, 0, 1, 0, _snapshots, _baseline, null, "memory://test") { Checkpoint = _checkpoint });
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public Task<IReadOnlyList<(string Id, string Path)>> LinkedAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<(string Id, string Path)>>(Rows.Values.Where(r => r.NumLinks > 1 && r.Id is not null).Select(r => (r.Id!, r.Path)).ToList());

    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> PathsOfAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<string>>>(Rows.Values
            .Where(r => r.Id is not null && ids.Contains(r.Id))
            .GroupBy(r => r.Id!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r.Path).ToList(), StringComparer.Ordinal));

    private sealed class Writer(MemoryIndexStore store) : IIndexWriter
    {
        private readonly List<FileRecord> _records = [];

        public long RowsAdded => _records.Count;

        public ValueTask AddAsync(FileRecord record, CancellationToken cancellationToken)
        {
            _records.Add(record);
            return ValueTask.CompletedTask;
        }

        public Task CommitAsync(IndexBaseline? baseline, CancellationToken cancellationToken)
        {
            lock (store._gate)
            {
                store._rows = new SortedDictionary<string, FileRecord>(_records.ToDictionary(r => r.Path, StringComparer.Ordinal), StringComparer.Ordinal);
                store._baseline = baseline;
                store._snapshots++;
            }

            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class ChangeSet(MemoryIndexStore store) : IIndexChangeSet
    {
        private readonly List<Action<SortedDictionary<string, FileRecord>>> _changes = [];

        public int Count => _changes.Count;

        public void Upsert(FileRecord record) => _changes.Add(rows => rows[record.Path] = record);

        public void Delete(string path) => _changes.Add(rows => rows.Remove(path));

        public void DeleteSubtree(string directoryPath) => _changes.Add(rows =>
        {
            foreach (var path in rows.Keys.Where(p => p.StartsWith(directoryPath, StringComparison.Ordinal)).ToList())
            {
                rows.Remove(path);
            }
        });

        public void MoveSubtree(string oldDirectoryPath, string newDirectoryPath) => _changes.Add(rows =>
        {
            var moved = rows.Where(r => r.Key.StartsWith(oldDirectoryPath, StringComparison.Ordinal)).ToList();
            foreach (var (path, _) in moved)
            {
                rows.Remove(path);
            }

            foreach (var (path, record) in moved)
            {
                var target = newDirectoryPath + path[oldDirectoryPath.Length..];
                rows[target] = path == oldDirectoryPath
                    ? record with { Path = target, Name = newDirectoryPath.TrimEnd('/')[(newDirectoryPath.TrimEnd('/').LastIndexOf('/') + 1)..] }
                    : record with { Path = target };
            }
        });

        public async Task<IndexCommitResult> CommitAsync(IndexBaseline? baseline, IReadOnlyDictionary<string, string> checkpoint, CancellationToken cancellationToken)
        {
            if (store.BeforeCommit is { } hook)
            {
                await hook(checkpoint);
            }

            lock (store._gate)
            {
                var rows = new SortedDictionary<string, FileRecord>(store._rows, StringComparer.Ordinal);
                foreach (var change in _changes)
                {
                    change(rows);
                }

                store._rows = rows;
                store._baseline = baseline ?? store._baseline;
                store._checkpoint = checkpoint;
                store._snapshots++;
                store.CommitLog.Enqueue((checkpoint.GetValueOrDefault(Qindex.Index.Watch.WatchCheckpoint.Kind), _changes.Count));
                return new IndexCommitResult(_changes.Count, 0, store._snapshots);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
