using System.Data.Common;
using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Verify;

/// <summary>What <see cref="IndexComparison"/> reports, one row at a time, in path order.</summary>
internal interface IRowDifferences
{
    /// <summary>The cluster has <paramref name="path"/>; the index does not.</summary>
    void Missing(string path);

    /// <summary>The index has <paramref name="path"/>; the cluster does not.</summary>
    void Extra(string path);

    /// <summary>Both have <paramref name="path"/>, with different values in <paramref name="columns"/>.</summary>
    void Different(string path, IReadOnlyList<ColumnDifference> columns);
}

/// <summary>How many rows each side of a comparison had, and the columns compared.</summary>
internal sealed record ComparisonTotals(long ClusterRows, long IndexRows, IReadOnlyList<string> Compared);

/// <summary>
/// Compares a walk of the cluster (a scratch index the crawler wrote) with the index's rows under
/// a root: both sides stream through DuckDB <c>ORDER BY path</c> and merge row for row. Memory stays
/// bounded whatever the tree's size: the sorts spill to disk past their limit, and the merge holds
/// one row of each side. Used by <c>qindex verify</c> and by a catch-up that has no snapshot
/// difference to apply.
/// </summary>
internal static class IndexComparison
{
    private const string PathColumn = "path";

    /// <summary>
    /// Reports every difference between <paramref name="walked"/> and <paramref name="index"/>'s rows
    /// under <paramref name="rootPath"/> to <paramref name="differences"/>, ignoring the columns in
    /// <paramref name="ignored"/>.
    /// </summary>
    /// <param name="walked">The cluster's side: a scratch index the crawler wrote.</param>
    /// <param name="index">The index compared with it.</param>
    /// <param name="rootPath">The walked root (ending with '/'): the index's rows under it are compared.</param>
    /// <param name="ignored">Columns left out of the comparison.</param>
    /// <param name="work">A directory for the sorts' spill files.</param>
    /// <param name="sortMemoryLimit">DuckDB memory limit for each side's sort.</param>
    /// <param name="differences">Receives each difference.</param>
    /// <param name="byHash">
    /// Compare each row's 64-bit hash of its compared columns instead of its values: both sorts
    /// carry a path and a number instead of whole rows (a fifth of the memory and spill), and a
    /// difference names no columns. Two different rows at one path go unnoticed only if their
    /// hashes collide (about one chance in 2^64 a row).
    /// </param>
    /// <param name="cancellationToken">Stops the comparison.</param>
    public static async Task<ComparisonTotals> RunAsync(
        IIndexStore walked,
        IIndexStore index,
        string rootPath,
        IReadOnlySet<string> ignored,
        string work,
        string sortMemoryLimit,
        IRowDifferences differences,
        CancellationToken cancellationToken,
        bool byHash = false)
    {
        ArgumentNullException.ThrowIfNull(walked);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(ignored);
        ArgumentNullException.ThrowIfNull(differences);
        var columns = IndexColumns.All.Select(c => c.Name).Where(name => !ignored.Contains(name)).ToArray();

        // Column names are the index's own, never user data; quoted as identifiers all the same.
        var selected = byHash
            ? $"path, hash({string.Join(", ", columns.Where(c => c != PathColumn).Select(c => "\"" + c.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""))}) AS row_hash"
            : "*";
        await using var clusterEngine = await OpenSortingEngineAsync(walked, Path.Combine(work, "spill-cluster"), sortMemoryLimit, cancellationToken).ConfigureAwait(false);
        await using var indexEngine = await OpenSortingEngineAsync(index, Path.Combine(work, "spill-index"), sortMemoryLimit, cancellationToken).ConfigureAwait(false);
        await using var clusterRows = await clusterEngine.ExecuteReaderAsync($"SELECT {selected} FROM files ORDER BY path", cancellationToken).ConfigureAwait(false);
        await using var indexRows = await indexEngine.ExecuteReaderAsync($"SELECT {selected} FROM files WHERE starts_with(path, ?) ORDER BY path", [rootPath], cancellationToken).ConfigureAwait(false);

        var compared = Enumerable.Range(0, clusterRows.FieldCount)
            .Select(i => clusterRows.GetName(i))
            .Where(name => !ignored.Contains(name))
            .ToArray();
        var clusterOrdinals = compared.Select(clusterRows.GetOrdinal).ToArray();
        var indexOrdinals = compared.Select(indexRows.GetOrdinal).ToArray();

        var cluster = new Cursor(clusterRows, clusterRows.GetOrdinal(PathColumn), "cluster walk");
        var indexed = new Cursor(indexRows, indexRows.GetOrdinal(PathColumn), "index");
        await cluster.MoveAsync(cancellationToken).ConfigureAwait(false);
        await indexed.MoveAsync(cancellationToken).ConfigureAwait(false);
        while (cluster.Path is not null || indexed.Path is not null)
        {
            int order = cluster.Path is null ? 1 : indexed.Path is null ? -1 : PathOrder.Instance.Compare(cluster.Path, indexed.Path);
            if (order < 0)
            {
                differences.Missing(cluster.Path!);
                await cluster.MoveAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (order > 0)
            {
                differences.Extra(indexed.Path!);
                await indexed.MoveAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                List<ColumnDifference>? differing = null;
                for (int c = 0; c < compared.Length; c++)
                {
                    var clusterValue = Value(clusterRows, clusterOrdinals[c]);
                    var indexValue = Value(indexRows, indexOrdinals[c]);
                    if (!Equals(clusterValue, indexValue))
                    {
                        (differing ??= []).Add(new ColumnDifference(compared[c], QueryEngine.FormatValue(indexValue), QueryEngine.FormatValue(clusterValue)));
                    }
                }

                if (differing is not null)
                {
                    differences.Different(cluster.Path!, byHash ? [] : differing);
                }

                await cluster.MoveAsync(cancellationToken).ConfigureAwait(false);
                await indexed.MoveAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return new ComparisonTotals(cluster.Rows, indexed.Rows, byHash ? columns : compared);
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
}
