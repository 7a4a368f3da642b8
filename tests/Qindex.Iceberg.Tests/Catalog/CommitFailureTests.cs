using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;
using Qindex.Iceberg.Tests.Spec;

namespace Qindex.Iceberg.Tests.Catalog;

/// <summary>
/// What a commit leaves behind when the catalog call fails: after a conflict nothing of the
/// failed attempt; after a lost answer (the commit may have landed) every file it wrote.
/// </summary>
public sealed class CommitFailureTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qindex-commit-").FullName;
    private SqlCatalog _inner = null!;

    public async Task InitializeAsync() =>
        _inner = await SqlCatalog.OpenSqliteAsync(Path.Combine(_dir, "c.db"), new Uri(Path.Combine(_dir, "w")).AbsoluteUri, CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _inner.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string[] ManifestFiles() => Directory.GetFiles(_dir, "*.avro", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    private static DataFile File(string name) => new() { FilePath = "file:///nowhere/" + name, RecordCount = 1, FileSizeInBytes = 1 };

    [Fact]
    public async Task A_conflicting_attempt_leaves_no_files_and_the_retry_lands()
    {
        var catalog = new FlakyCatalog(_inner) { ConflictsBeforeCommit = 1 };
        using var table = await IcebergTable.LoadOrCreateAsync(catalog, new TableIdentifier("qindex", "t"), SpecTests.TestSchema, SortOrder.Unsorted, new Dictionary<string, string>(), CancellationToken.None);
        var snapshot = await table.CommitAsync(new FileChange { Added = [File("a")] }, CancellationToken.None);

        Assert.Equal(2, catalog.Calls);
        var listed = await table.ReadManifestListAsync(snapshot, CancellationToken.None);
        var referenced = listed.Select(m => LocalFileIO.ToPath(m.ManifestPath)).Append(LocalFileIO.ToPath(snapshot.ManifestList)).Order(StringComparer.Ordinal);
        Assert.Equal(referenced, ManifestFiles());
    }

    [Fact]
    public async Task A_lost_answer_keeps_the_files_because_the_commit_may_have_landed()
    {
        var catalog = new FlakyCatalog(_inner) { LoseAnswer = true };
        using var table = await IcebergTable.LoadOrCreateAsync(catalog, new TableIdentifier("qindex", "t"), SpecTests.TestSchema, SortOrder.Unsorted, new Dictionary<string, string>(), CancellationToken.None);
        await Assert.ThrowsAsync<IcebergException>(() => table.CommitAsync(new FileChange { Added = [File("a")] }, CancellationToken.None));

        await table.RefreshAsync(CancellationToken.None);
        var current = table.Metadata.CurrentSnapshot;
        Assert.NotNull(current);
        var live = await table.LiveEntriesAsync(CancellationToken.None);
        Assert.Equal("file:///nowhere/a", Assert.Single(live).DataFile.FilePath);
    }

    private sealed class FlakyCatalog(ICatalog inner) : ICatalog
    {
        public int ConflictsBeforeCommit { get; init; }

        public bool LoseAnswer { get; init; }

        public int Calls { get; private set; }

        public string Name => inner.Name;

        public Task<LoadedTable?> LoadTableAsync(TableIdentifier identifier, CancellationToken cancellationToken) => inner.LoadTableAsync(identifier, cancellationToken);

        public Task<LoadedTable> CreateTableAsync(TableIdentifier identifier, Schema schema, SortOrder sortOrder, IReadOnlyDictionary<string, string> properties, CancellationToken cancellationToken) =>
            inner.CreateTableAsync(identifier, schema, sortOrder, properties, cancellationToken);

        public async Task<LoadedTable> CommitAsync(TableIdentifier identifier, LoadedTable baseTable, IReadOnlyList<TableUpdate> updates, CancellationToken cancellationToken)
        {
            if (++Calls <= ConflictsBeforeCommit)
            {
                throw new CommitConflictException("simulated: another writer won");
            }

            var committed = await inner.CommitAsync(identifier, baseTable, updates, cancellationToken);
            return LoseAnswer ? throw new IcebergException("simulated: the catalog's answer was lost") : committed;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
