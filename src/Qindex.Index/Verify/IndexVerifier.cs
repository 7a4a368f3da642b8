using System.Net;
using Qindex.Index.Crawl;
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
        var ignored = new HashSet<string>(StringComparer.Ordinal) { "ingest_ts" };
        if (options.IgnoreAccessTime)
        {
            ignored.Add("access_time");
        }

        var tally = new Tally(options.ExamplesPerKind);
        var totals = await IndexComparison.RunAsync(walked, index, rootPath, ignored, work, options.SortMemoryLimit, tally, cancellationToken).ConfigureAwait(false);
        return new VerifyReport(
            totals.ClusterRows, totals.IndexRows, tally.MissingRows, tally.ExtraRows, tally.DifferentRows,
            tally.MissingExamples, tally.ExtraExamples, tally.DifferentExamples, tally.DifferentColumns, totals.Compared, snapshotId);
    }

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

    /// <summary>Counts and first examples of each kind of difference.</summary>
    private sealed class Tally(int examples) : IRowDifferences
    {
        private readonly Dictionary<string, long> _columns = new(StringComparer.Ordinal);

        public long MissingRows { get; private set; }

        public long ExtraRows { get; private set; }

        public long DifferentRows { get; private set; }

        public List<string> MissingExamples { get; } = [];

        public List<string> ExtraExamples { get; } = [];

        public List<RowDifference> DifferentExamples { get; } = [];

        public IReadOnlyDictionary<string, long> DifferentColumns => _columns;

        public void Missing(string path)
        {
            MissingRows++;
            if (MissingExamples.Count < examples)
            {
                MissingExamples.Add(path);
            }
        }

        public void Extra(string path)
        {
            ExtraRows++;
            if (ExtraExamples.Count < examples)
            {
                ExtraExamples.Add(path);
            }
        }

        public void Different(string path, IReadOnlyList<ColumnDifference> columns)
        {
            var row = new RowDifference(path, columns);
            DifferentRows++;
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
