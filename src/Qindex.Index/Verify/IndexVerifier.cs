using System.Data.Common;
using System.Net;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Snapshots;
using Qindex.Index.Store;
using Qindex.Qumulo;

namespace Qindex.Index.Verify;

/// <summary>
/// Proves the index equals the cluster (DESIGN.md, "The invariant"): walks the cluster with the
/// crawler (from a fresh snapshot when allowed, deleted afterwards) into sorted runs in a scratch
/// index, then streams both sides through DuckDB <c>ORDER BY path</c> and merges them row for row,
/// ignoring <c>ingest_ts</c> (and <c>access_time</c> when asked). Memory stays bounded whatever
/// the tree's size: the walk holds two runs at most, the sorts spill to disk past their limit, and
/// the merge holds one row of each side.
/// </summary>
public sealed class IndexVerifier
{
    private const string PathColumn = "path";
    private readonly QumuloClient _client;

    public IndexVerifier(QumuloClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>Compares the cluster's tree under <see cref="VerifyOptions.RootPath"/> with <paramref name="index"/>.</summary>
    public async Task<VerifyReport> RunAsync(VerifyOptions options, IIndexStore index, IProgress<CrawlProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(index);
        if (string.IsNullOrEmpty(options.RootPath) || options.RootPath[0] != '/')
        {
            throw new ArgumentException($"The verified path must be absolute, not '{options.RootPath}'.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.ExamplesPerKind);
        var rootPath = options.RootPath.EndsWith('/') ? options.RootPath : options.RootPath + "/";
        var work = options.WorkDirectory is null
            ? Directory.CreateTempSubdirectory("qindex-verify-").FullName
            : Directory.CreateDirectory(Path.Combine(options.WorkDirectory, "qindex-verify-" + Guid.NewGuid().ToString("N"))).FullName;
        TakenSnapshot? snapshot = null;
        try
        {
            var root = await _client.GetAttributesAsync(rootPath, null, cancellationToken).ConfigureAwait(false);
            if (root.GetProperty("type").GetString() != "FS_FILE_TYPE_DIRECTORY")
            {
                throw new VerifyException($"{rootPath} is not a directory on {options.ClusterHost}.");
            }

            // Never a baseline: deleted when the comparison ends, whatever its outcome.
            snapshot = options.UseSnapshot ? await TakeSnapshotAsync(root.GetProperty("id").GetString()!, index, cancellationToken).ConfigureAwait(false) : null;
            var snapshotId = snapshot?.Id;
            await using var walked = await IndexStoreFactory.OpenAsync(new IndexLocation(Path.Combine(work, "walk")), cancellationToken).ConfigureAwait(false);
            await new Crawler(_client).RunAsync(
                new CrawlOptions
                {
                    ClusterHost = options.ClusterHost,
                    RootPath = rootPath,
                    SnapshotMode = snapshotId is null ? CrawlSnapshotMode.None : CrawlSnapshotMode.Existing,
                    SnapshotId = snapshotId,
                    Concurrency = options.Concurrency,
                },
                walked,
                progress,
                cancellationToken).ConfigureAwait(false);
            return await CompareAsync(options, rootPath, walked, index, work, snapshotId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (snapshot is not null)
            {
                await snapshot.DisposeAsync().ConfigureAwait(false);
            }

            TryDelete(work);
        }
    }

    /// <summary>A snapshot of the verified tree, or null when the cluster does not let this user take one.</summary>
    private async Task<TakenSnapshot?> TakeSnapshotAsync(string rootId, IIndexStore index, CancellationToken cancellationToken)
    {
        try
        {
            // Named as the verified index's own (qindex-{tag}-verify-...), so if this process dies
            // before deleting it, that index's snapshot cleanup removes it as a leftover.
            return await BaselineSnapshots.For(_client, index).TakeAsync(rootId, BaselineSnapshots.VerifyPurpose, cancellationToken).ConfigureAwait(false);
        }
        catch (QumuloApiException e) when (e.Status == HttpStatusCode.Forbidden)
        {
            // No snapshot privilege: walk the live tree, which is exact only while the cluster is quiet.
            return null;
        }
    }

    private static async Task<VerifyReport> CompareAsync(
        VerifyOptions options, string rootPath, IIndexStore walked, IIndexStore index, string work, long? snapshotId, CancellationToken cancellationToken)
    {
        await using var clusterEngine = await OpenSortingEngineAsync(walked, Path.Combine(work, "spill-cluster"), options.SortMemoryLimit, cancellationToken).ConfigureAwait(false);
        await using var indexEngine = await OpenSortingEngineAsync(index, Path.Combine(work, "spill-index"), options.SortMemoryLimit, cancellationToken).ConfigureAwait(false);
        await using var clusterRows = await clusterEngine.ExecuteReaderAsync("SELECT * FROM files ORDER BY path", cancellationToken).ConfigureAwait(false);
        await using var indexRows = await indexEngine.ExecuteReaderAsync("SELECT * FROM files WHERE starts_with(path, ?) ORDER BY path", [rootPath], cancellationToken).ConfigureAwait(false);

        var ignored = new HashSet<string>(StringComparer.Ordinal) { "ingest_ts" };
        if (options.IgnoreAccessTime)
        {
            ignored.Add("access_time");
        }

        var compared = Enumerable.Range(0, clusterRows.FieldCount)
            .Select(i => clusterRows.GetName(i))
            .Where(name => !ignored.Contains(name))
            .ToArray();
        var clusterOrdinals = compared.Select(clusterRows.GetOrdinal).ToArray();
        var indexOrdinals = compared.Select(indexRows.GetOrdinal).ToArray();
        int clusterPath = clusterRows.GetOrdinal(PathColumn);
        int indexPath = indexRows.GetOrdinal(PathColumn);

        var tally = new Tally(options.ExamplesPerKind);
        var cluster = new Cursor(clusterRows, clusterPath, "cluster walk");
        var indexed = new Cursor(indexRows, indexPath, "index");
        await cluster.MoveAsync(cancellationToken).ConfigureAwait(false);
        await indexed.MoveAsync(cancellationToken).ConfigureAwait(false);
        while (cluster.Path is not null || indexed.Path is not null)
        {
            int order = cluster.Path is null ? 1 : indexed.Path is null ? -1 : PathOrder.Instance.Compare(cluster.Path, indexed.Path);
            if (order < 0)
            {
                tally.AddMissing(cluster.Path!);
                await cluster.MoveAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (order > 0)
            {
                tally.AddExtra(indexed.Path!);
                await indexed.MoveAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                List<ColumnDifference>? differences = null;
                for (int c = 0; c < compared.Length; c++)
                {
                    var clusterValue = Value(clusterRows, clusterOrdinals[c]);
                    var indexValue = Value(indexRows, indexOrdinals[c]);
                    if (!Equals(clusterValue, indexValue))
                    {
                        (differences ??= []).Add(new ColumnDifference(compared[c], QueryEngine.FormatValue(indexValue), QueryEngine.FormatValue(clusterValue)));
                    }
                }

                if (differences is not null)
                {
                    tally.AddDifferent(new RowDifference(cluster.Path!, differences));
                }

                await cluster.MoveAsync(cancellationToken).ConfigureAwait(false);
                await indexed.MoveAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return new VerifyReport(
            cluster.Rows, indexed.Rows, tally.Missing, tally.Extra, tally.Different,
            tally.MissingExamples, tally.ExtraExamples, tally.DifferentExamples, tally.DifferentColumns, compared, snapshotId);
    }

    private static async Task<QueryEngine> OpenSortingEngineAsync(IIndexStore store, string spill, string memoryLimit, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(spill);
        var engine = await QueryEngine.OpenAsync(store, cancellationToken).ConfigureAwait(false);
        try
        {
            // Bounded memory: past the limit DuckDB's sort spills to the work directory. Both values are ours, quoted as literals.
            await engine.ExecuteAsync($"SET memory_limit = {QueryEngine.Literal(memoryLimit)}", cancellationToken).ConfigureAwait(false);
            await engine.ExecuteAsync($"SET temp_directory = {QueryEngine.Literal(spill)}", cancellationToken).ConfigureAwait(false);
            await engine.ExecuteAsync("SET preserve_insertion_order = false", cancellationToken).ConfigureAwait(false);
            return engine;
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static object? Value(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetValue(ordinal);

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A scratch directory under the temporary directory; the verdict does not depend on removing it.
        }
    }

    /// <summary>One side of the merge: the current row's path, rows read, and a check that paths never go backwards.</summary>
    private sealed class Cursor(DbDataReader reader, int pathOrdinal, string side)
    {
        public string? Path { get; private set; }

        public long Rows { get; private set; }

        public async Task MoveAsync(CancellationToken cancellationToken)
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                Path = null;
                return;
            }

            var next = reader.IsDBNull(pathOrdinal) ? string.Empty : reader.GetString(pathOrdinal);
            if (Path is not null && PathOrder.Instance.Compare(Path, next) > 0)
            {
                // The merge is only right if both sides come in the comparer's order; never guess past that.
                throw new VerifyException($"the {side} rows did not arrive in path order ('{next}' after '{Path}'); the comparison was abandoned");
            }

            Path = next;
            Rows++;
        }
    }

    /// <summary>Counts and first examples of each kind of difference.</summary>
    private sealed class Tally(int examples)
    {
        private readonly Dictionary<string, long> _columns = new(StringComparer.Ordinal);

        public long Missing { get; private set; }

        public long Extra { get; private set; }

        public long Different { get; private set; }

        public List<string> MissingExamples { get; } = [];

        public List<string> ExtraExamples { get; } = [];

        public List<RowDifference> DifferentExamples { get; } = [];

        public IReadOnlyDictionary<string, long> DifferentColumns => _columns;

        public void AddMissing(string path)
        {
            Missing++;
            if (MissingExamples.Count < examples)
            {
                MissingExamples.Add(path);
            }
        }

        public void AddExtra(string path)
        {
            Extra++;
            if (ExtraExamples.Count < examples)
            {
                ExtraExamples.Add(path);
            }
        }

        public void AddDifferent(RowDifference row)
        {
            Different++;
            foreach (var column in row.Columns)
            {
                _columns[column.Column] = _columns.GetValueOrDefault(column.Column) + 1;
            }

            if (DifferentExamples.Count < examples)
            {
                DifferentExamples.Add(row);
            }
        }
    }
}
