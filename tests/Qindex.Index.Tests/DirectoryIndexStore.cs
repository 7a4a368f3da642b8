using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests;

/// <summary>
/// A minimal IIndexStore for pipeline tests that do not need Iceberg metadata: the current state is
/// the data files of the last commit, kept in memory. It honors the contract the pipelines rely on
/// (nothing visible before commit, abandoned writes leave no files).
/// </summary>
internal sealed class DirectoryIndexStore(string directory, int runRows = 1000, bool bulk = true) : IIndexStore
{
    private IndexScan _current = new([], []);
    private int _snapshots;

    public string Directory { get; } = directory;

    public List<string> ExtraDeleteFiles { get; } = [];

    public IIndexWriter BeginReplace()
    {
        var writer = new Writer(this, new SortedRunWriter(Path.Combine(Directory, "data"), runRows, Guid.NewGuid().ToString("N")));
        return bulk ? writer : new RecordOnlyWriter(writer);
    }

    public IIndexChangeSet BeginChanges() => throw new NotSupportedException("this test store replaces whole tables only");

    public Task<IndexScan> ScanAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new IndexScan(_current.DataFiles, [.. _current.PositionDeleteFiles, .. ExtraDeleteFiles]));

    public Task<IndexStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new IndexStatus(0, 0, _current.DataFiles.Count, 0, _snapshots, null, null, Directory));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Writer(DirectoryIndexStore store, SortedRunWriter runs) : IBulkIndexWriter
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

        public string NewDataFilePath() => runs.NewDataFilePath();

        public void AddDataFile(IndexDataFile file) => runs.AddDataFile(file);

        public ValueTask DisposeAsync() => runs.DisposeAsync();
    }

    /// <summary>Hides the bulk interface so the record-by-record import path is exercised.</summary>
    private sealed class RecordOnlyWriter(IIndexWriter inner) : IIndexWriter
    {
        public long RowsAdded => inner.RowsAdded;

        public ValueTask AddAsync(FileRecord record, CancellationToken cancellationToken) => inner.AddAsync(record, cancellationToken);

        public Task CommitAsync(IndexBaseline? baseline, CancellationToken cancellationToken) => inner.CommitAsync(baseline, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
