using System.Globalization;
using Qindex.Iceberg;
using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Parquet;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;
using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// The index as an Iceberg table <c>qindex.files</c>: Parquet data files sorted by path under the
/// table's <c>data/</c>, committed through a catalog (SQLite inside the index directory by
/// default). A replace writes new files and commits one snapshot that removes every old file and
/// adds the new ones; old snapshots are expired after <see cref="SnapshotMaxAge"/>, keeping at
/// least <see cref="MinSnapshotsToKeep"/>, so a reader that started on one can finish.
/// </summary>
public sealed partial class IcebergIndexStore : IIndexStore
{
    /// <summary>Rows per sorted run and data file.</summary>
    public const int DefaultRunRows = 131_072;

    /// <summary>Bytes of data files' paths kept between change sets (<see cref="FilePathsCache"/>).</summary>
    internal const long PathsCacheBytes = 256L << 20;

    /// <summary>
    /// The most bytes of paths a change set keeps in one buffer: its moved rows' new paths are
    /// chunked by it, and the rows it writes go to one data file per this many bytes of paths.
    /// Tests lower it to see a very large directory move's chunks and files on a small table.
    /// </summary>
    internal int PathChunkBytes { get; set; } = MovedRows.DefaultChunkBytes;

    /// <summary>The path column's field id: its bounds are kept whole so files can be pruned by path.</summary>
    public const int PathFieldId = 1;

    /// <summary>Snapshots younger than this are never expired.</summary>
    public static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromHours(1);

    /// <summary>Snapshots always kept, whatever their age.</summary>
    public const int MinSnapshotsToKeep = 2;

    /// <summary>Manifests of one kind a commit carries before it merges the small ones: bounds what every commit and expiry reads.</summary>
    public const int MinManifestsToMerge = 16;

    /// <summary>The table's identifier in its catalog.</summary>
    public static readonly TableIdentifier TableName = new("qindex", "files");

    private static readonly IReadOnlySet<int> FullBoundColumns = new HashSet<int> { PathFieldId };

    /// <summary>Columns whose bounds are kept whole in data file metrics.</summary>
    internal static IReadOnlySet<int> FullBoundColumnIds => FullBoundColumns;

    private readonly ICatalog _catalog;
    private readonly IcebergTable _table;
    private readonly string _indexDirectory;
    private readonly int _runRows;

    // One change set or replace commits at a time in this process; other processes are fenced by the catalog.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private LiveIndex? _live;

    // 256 MB: a 1M-row index's paths at their usual length (under 100 characters), fewer when deep.
    private readonly FilePathsCache _pathsCache = new(PathsCacheBytes);

    /// <summary>The paths cache, for tests (read it only between change sets).</summary>
    internal FilePathsCache PathsCache => _pathsCache;

    private IcebergIndexStore(ICatalog catalog, IcebergTable table, string indexDirectory, int runRows)
    {
        _catalog = catalog;
        _table = table;
        _indexDirectory = indexDirectory;
        _runRows = runRows;
    }

    /// <summary>The Iceberg schema of the index: <see cref="IndexColumns"/> with their field ids.</summary>
    public static Schema Schema { get; } = new(0, IndexColumns.All.Select(c => new NestedField(c.FieldId, c.Name, c.Kind switch
    {
        ColumnKind.String => PrimitiveType.String,
        ColumnKind.Int32 => PrimitiveType.Int,
        ColumnKind.Int64 => PrimitiveType.Long,
        ColumnKind.Boolean => PrimitiveType.Boolean,
        ColumnKind.TimestampTz => PrimitiveType.TimestampTz,
        _ => throw new InvalidOperationException($"no Iceberg type for {c.Kind}"),
    }, c.Required)).ToList());

    /// <summary>Sorted by path ascending, as every data file qindex writes is.</summary>
    public static SortOrder SortOrder { get; } = new(1, [new SortField(PathFieldId)]);

    /// <summary>The underlying table, for maintenance and tests.</summary>
    public IcebergTable Table => _table;

    /// <summary>
    /// Opens the index at <paramref name="location"/>, creating it when missing if
    /// <paramref name="create"/>; otherwise a missing index is an <see cref="IndexStoreException"/>
    /// ("no index at DIR") and nothing is created.
    /// </summary>
    public static async Task<IcebergIndexStore> OpenAsync(IndexLocation location, CancellationToken cancellationToken, int runRows = DefaultRunRows, bool create = true)
    {
        ArgumentNullException.ThrowIfNull(location);
        string directory = Path.GetFullPath(location.IndexDirectory);
        if (create)
        {
            Directory.CreateDirectory(directory);
        }
        else if (location.CatalogUri is null && !File.Exists(Path.Combine(directory, "catalog.db")))
        {
            throw new IndexStoreException($"no index at {directory}");
        }

        string warehouse = FileIOFactory.ToLocation(location.Warehouse ?? Path.Combine(directory, "warehouse"));
        ICatalog catalog = location.CatalogUri switch
        {
            null => await SqlCatalog.OpenSqliteAsync(Path.Combine(directory, "catalog.db"), warehouse, cancellationToken).ConfigureAwait(false),
            var uri when uri.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) => await SqlCatalog.OpenPostgresAsync(uri, warehouse, cancellationToken).ConfigureAwait(false),
            var uri when uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) =>
                await RestCatalog.OpenAsync(new Uri(uri), location.Warehouse is null ? null : warehouse, RestCatalogOptions.FromEnvironment(), cancellationToken).ConfigureAwait(false),
            _ => throw new IndexStoreException("--catalog-uri must be postgresql://... (SQL catalog) or https://... (REST catalog)"),
        };
        try
        {
            if (location.CatalogUri is null && location.Warehouse is null)
            {
                // Everything the catalog names lives in this directory: follow it when it moves.
                foreach (var name in new[] { TableName, ChangesTableName })
                {
                    await IndexRelocation.RelocateIfMovedAsync((SqlCatalog)catalog, name, FileIOFactory.Combine(warehouse, $"{name.Namespace}/{name.Name}"), cancellationToken).ConfigureAwait(false);
                }
            }

            var properties = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["write.format.default"] = "parquet",
                ["write.parquet.compression-codec"] = "zstd",
                ["write.metadata.metrics.default"] = "truncate(16)",
                ["write.metadata.metrics.column.path"] = "full",
                ["history.expire.max-snapshot-age-ms"] = ((long)SnapshotMaxAge.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                ["history.expire.min-snapshots-to-keep"] = MinSnapshotsToKeep.ToString(CultureInfo.InvariantCulture),
                ["qindex.format"] = "1",
                ["commit.manifest.min-count-to-merge"] = MinManifestsToMerge.ToString(CultureInfo.InvariantCulture),
            };
            if (!create && await catalog.LoadTableAsync(TableName, cancellationToken).ConfigureAwait(false) is null)
            {
                throw new IndexStoreException(location.CatalogUri is null ? $"no index at {directory}" : $"no index table {TableName} in the catalog");
            }

            var table = await IcebergTable.LoadOrCreateAsync(catalog, TableName, Schema, SortOrder, properties, cancellationToken).ConfigureAwait(false);
            CheckSchema(table.Metadata.CurrentSchema);
            return new IcebergIndexStore(catalog, table, directory, runRows);
        }
        catch
        {
            await catalog.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void CheckSchema(Schema existing)
    {
        foreach (var field in Schema.Fields)
        {
            if (existing.FindField(field.Id) is not { } found || found.Name != field.Name || found.Type != field.Type)
            {
                throw new IndexStoreException($"the table's column {field.Id} is not '{field.Name}' of type {PrimitiveTypes.Name(field.Type)}: this is not a qindex table, or one written by an incompatible version");
            }
        }
    }

    public IIndexWriter BeginReplace()
    {
        string prefix = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N");
        string? local = _table.IO.LocalPathOf(_table.NewDataLocation("x"));
        string staging = local is not null ? Path.GetDirectoryName(local)! : Path.Combine(_indexDirectory, "staging");
        Directory.CreateDirectory(staging);
        return new Writer(this, new SortedRunWriter(staging, _runRows, prefix));
    }

    public async Task<IndexScan> ScanAsync(CancellationToken cancellationToken)
    {
        await _table.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var live = await _table.LiveEntriesAsync(cancellationToken).ConfigureAwait(false);
        string cache = Path.Combine(_indexDirectory, "cache");
        var data = new List<string>();
        var locations = new List<string>();
        var deletes = new List<string>();
        foreach (var entry in live)
        {
            string path = await _table.IO.GetLocalCopyAsync(entry.DataFile.FilePath, cache, cancellationToken).ConfigureAwait(false);
            if (entry.DataFile.Content == FileContent.Data)
            {
                data.Add(path);
                locations.Add(entry.DataFile.FilePath);
            }
            else
            {
                deletes.Add(path);
            }
        }

        return new IndexScan(data, deletes) { DataFileLocations = locations, ChangesFiles = await ChangesFilesAsync(cancellationToken).ConfigureAwait(false) };
    }

    public async Task<IndexStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        await _table.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var metadata = _table.Metadata;
        var current = metadata.CurrentSnapshot;
        var live = await _table.LiveEntriesAsync(cancellationToken).ConfigureAwait(false);
        var data = live.Where(e => e.DataFile.Content == FileContent.Data).Select(e => e.DataFile).ToList();
        var deletes = live.Where(e => e.DataFile.Content != FileContent.Data).Select(e => e.DataFile).ToList();
        return new IndexStatus(
            data.Sum(f => f.RecordCount) - deletes.Sum(f => f.RecordCount),
            data.Sum(f => f.FileSizeInBytes),
            data.Count,
            deletes.Count,
            metadata.Snapshots.Count,
            current is null ? null : BaselineOf(current.Summary),
            current?.Timestamp,
            metadata.Location)
        {
            Checkpoint = current is null
                ? new Dictionary<string, string>()
                : current.Summary.Where(p => p.Key.StartsWith(CheckpointPrefix, StringComparison.Ordinal))
                    .ToDictionary(p => p.Key[CheckpointPrefix.Length..], p => p.Value, StringComparer.Ordinal),
        };
    }

    private static IndexBaseline? BaselineOf(IReadOnlyDictionary<string, string> summary) =>
        summary.TryGetValue(SummaryKeys.ClusterHost, out var host)
            ? new IndexBaseline(
                host,
                summary.GetValueOrDefault(SummaryKeys.RootPath, string.Empty),
                summary.GetValueOrDefault(SummaryKeys.ClusterSnapshotId),
                DateTimeOffset.Parse(summary.GetValueOrDefault(SummaryKeys.BaselineTaken, "0001-01-01T00:00:00Z"), CultureInfo.InvariantCulture))
            : null;

    /// <summary>
    /// Expires snapshots older than <see cref="SnapshotMaxAge"/> (keeping at least
    /// <see cref="MinSnapshotsToKeep"/>) and deletes the files only they referenced. Housekeeping
    /// run on a schedule and by <c>qindex compact</c>, never inside a commit.
    /// </summary>
    public async Task<ExpiryResult> ExpireSnapshotsAsync(CancellationToken cancellationToken)
    {
        await _table.RefreshAsync(cancellationToken).ConfigureAwait(false);
        return await _table.ExpireSnapshotsAsync(DateTimeOffset.UtcNow - SnapshotMaxAge, MinSnapshotsToKeep, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await FlushChangesLogAsync().ConfigureAwait(false);
        _changesTable?.Dispose();
        _changesLock.Dispose();
        _writeLock.Dispose();
        _table.Dispose();
        await _catalog.DisposeAsync().ConfigureAwait(false);
    }

    private async Task CommitAsync(IReadOnlyList<IndexDataFile> files, Dictionary<string, string> summary, CancellationToken cancellationToken)
    {
        var added = new List<DataFile>(files.Count);
        foreach (var file in files)
        {
            string location = _table.NewDataLocation(Path.GetFileName(file.Path));
            added.Add(ParquetMetrics.Read(file.Path, location, Schema, FullBoundColumns, FileContent.Data, file.Sorted ? SortOrder.OrderId : SortOrder.Unsorted.OrderId));
            await _table.IO.PublishAsync(file.Path, location, cancellationToken).ConfigureAwait(false);
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _live = null;
            await _table.RefreshAsync(cancellationToken).ConfigureAwait(false);
            await _table.CommitAsync(new Overwrite { BaseSnapshotId = _table.Metadata.CurrentSnapshotId, Added = added, Summary = summary }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Keys qindex adds to a snapshot summary to record the baseline.</summary>
    public static class SummaryKeys
    {
        public const string ClusterHost = "qindex.cluster-host";
        public const string RootPath = "qindex.root-path";
        public const string ClusterSnapshotId = "qindex.cluster-snapshot-id";
        public const string BaselineTaken = "qindex.baseline-taken";

        /// <summary>Whether <paramref name="key"/> is one of the baseline's keys.</summary>
        public static bool IsBaselineKey(string key) => key is ClusterHost or RootPath or ClusterSnapshotId or BaselineTaken;
    }

    private sealed class Writer(IcebergIndexStore store, SortedRunWriter runs) : IBulkIndexWriter
    {
        private readonly Dictionary<string, string> _summary = new(StringComparer.Ordinal);

        public long RowsAdded => runs.RowsAdded;

        public ValueTask AddAsync(FileRecord record, CancellationToken cancellationToken) => runs.AddAsync(record, cancellationToken);

        public void AddSummaryProperty(string key, string value) => _summary[key] = value;

        public string NewDataFilePath() => runs.NewDataFilePath();

        public void AddDataFile(IndexDataFile file) => runs.AddDataFile(file);

        public async Task CommitAsync(IndexBaseline? baseline, CancellationToken cancellationToken)
        {
            var files = await runs.CompleteAsync(cancellationToken).ConfigureAwait(false);
            if (baseline is not null)
            {
                _summary[SummaryKeys.ClusterHost] = baseline.ClusterHost;
                _summary[SummaryKeys.RootPath] = baseline.RootPath;
                if (baseline.ClusterSnapshotId is not null)
                {
                    _summary[SummaryKeys.ClusterSnapshotId] = baseline.ClusterSnapshotId;
                }

                _summary[SummaryKeys.BaselineTaken] = baseline.Taken.ToString("O", CultureInfo.InvariantCulture);
            }

            try
            {
                await store.CommitAsync(files, _summary, cancellationToken).ConfigureAwait(false);
            }
            catch (IcebergException e)
            {
                throw new IndexStoreException($"cannot commit to the index: {e.Message}", e);
            }

            runs.MarkCommitted();
        }

        public ValueTask DisposeAsync() => runs.DisposeAsync();
    }
}
