using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests;

/// <summary>
/// A minimal IIndexStore for pipeline tests that do not need Iceberg metadata: the current state is
/// the data files of the last commit, kept in memory. It honors the contract the pipelines rely on
/// (nothing visible before commit, abandoned writes leave no files).
/// </summary>
internal sealed class DirectoryIndexStore(string directory, int runRows = 1000) : IIndexStore
{
    private IndexScan _current = new([], []);
    private int _snapshots;

    public string Directory { get; } = directory;

    public List<string> ExtraDeleteFiles { get; } = [];

    public IIndexWriter BeginReplace() => new Writer(this, new SortedRunWriter(Path.Combine(Directory, "data"), runRows, Guid.NewGuid().ToString("N")));

    public Task<IndexScan> ScanAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new IndexScan(_current.DataFiles, [.. _current.PositionDeleteFiles, .. ExtraDeleteFiles]));

    public Task<IndexStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new IndexStatus(0, 0, _current.DataFiles.Count, 0, _snapshots, null, null, Directory));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Writer(DirectoryIndexStore store, SortedRunWriter runs) : IIndexWriter
    {
        public long RowsAdded => runs.RowsAdded;

        public ValueTask AddAsync(FileRecord record, CancellationToken cancellationToken) => runs.AddAsync(record, cancellationToken);

        public async Task CommitAsync(IndexBaseline? baseline, CancellationToken cancellationToken)
        {
            var files = await runs.CompleteAsync(cancellationToken);
            runs.MarkCommitted();
            store._current = new IndexScan(files.Select(f => f.Path).ToArray(), []);
            store._snapshots++;
        }

        public ValueTask DisposeAsync() => runs.DisposeAsync();
    }
}
