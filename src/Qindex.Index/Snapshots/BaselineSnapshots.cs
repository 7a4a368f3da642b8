using System.Globalization;
using Qindex.Index.Store;
using Qindex.Qumulo;

namespace Qindex.Index.Snapshots;

/// <summary>
/// The lifecycle of the cluster snapshots one index takes: exactly the snapshot the index's
/// baseline names is kept (a catch-up reads <c>changes-since</c> from it); every other snapshot
/// this index took is deleted once a commit has superseded it, or at the next start when a crash
/// left it behind. On a real cluster each leaked snapshot pins the capacity of every block it holds.
/// <para>
/// Names are <c>qindex-{tag}-{purpose}-{UTC time}</c>, where the tag identifies the index (from
/// its Iceberg table UUID), so two indexes of one cluster never delete each other's snapshots.
/// Snapshot ids grow with time, so "superseded" means an id below the committed baseline's; a
/// snapshot above it may belong to a crawl still running in another process, and is removed at
/// start only once it is older than <see cref="LeftoverAge"/>.
/// </para>
/// </summary>
public sealed class BaselineSnapshots
{
    /// <summary>Every snapshot qindex takes has a name starting with this.</summary>
    public const string NamePrefix = "qindex-";

    private readonly QumuloClient _client;

    public BaselineSnapshots(QumuloClient client, string indexTag)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(indexTag);
        if (indexTag.Any(c => !char.IsAsciiLetterOrDigit(c)))
        {
            throw new ArgumentException($"An index tag is letters and digits only, not '{indexTag}'.", nameof(indexTag));
        }

        _client = client;
        Prefix = $"{NamePrefix}{indexTag}-";
    }

    /// <summary>The name prefix of this index's snapshots, e.g. <c>qindex-3f2a9c1e0b7d-</c>.</summary>
    public string Prefix { get; }

    /// <summary>
    /// How old a snapshot newer than the baseline must be before a start removes it as a crash's
    /// leftover (younger ones may be a crawl running elsewhere). Superseded ones go at once.
    /// </summary>
    public TimeSpan LeftoverAge { get; init; } = TimeSpan.FromHours(6);

    /// <summary>The tag of an index: the first 12 hex digits of its Iceberg table UUID, or "index" for other stores.</summary>
    public static string TagOf(IIndexStore store) =>
        store is IcebergIndexStore iceberg ? iceberg.Table.Metadata.TableUuid.ToString("N")[..12] : "index";

    /// <summary>Takes a snapshot of the directory <paramref name="sourceFileId"/> named for this index and <paramref name="purpose"/> (e.g. crawl, watch).</summary>
    public Task<SnapshotInfo> CreateAsync(string sourceFileId, string purpose, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        return _client.CreateSnapshotAsync(sourceFileId, $"{Prefix}{purpose}-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfffZ}", cancellationToken);
    }

    /// <summary>
    /// After a commit that recorded <paramref name="committedSnapshotId"/> (null: a baseline without
    /// a snapshot) as the baseline: deletes this index's snapshots older than it, and the baseline
    /// the commit replaced (<paramref name="previous"/>) when qindex took it. Returns how many went.
    /// </summary>
    public async Task<int> DeleteSupersededAsync(IndexBaseline? previous, long? committedSnapshotId, CancellationToken cancellationToken)
    {
        var previousId = SnapshotIdOf(previous);
        var deleted = 0;
        foreach (var snapshot in await _client.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (snapshot.Id == committedSnapshotId)
            {
                continue;
            }

            var ours = snapshot.Name.StartsWith(Prefix, StringComparison.Ordinal);
            var olderThanCommitted = committedSnapshotId is null || snapshot.Id < committedSnapshotId;
            var replacedBaseline = snapshot.Id == previousId && snapshot.Name.StartsWith(NamePrefix, StringComparison.Ordinal);
            if ((ours && olderThanCommitted) || replacedBaseline)
            {
                deleted += await DeleteAsync(snapshot.Id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
        }

        return deleted;
    }

    /// <summary>
    /// At start: deletes this index's snapshots that <paramref name="baseline"/> (the index's
    /// current one) does not name: those older than it at once, newer ones once older than
    /// <see cref="LeftoverAge"/>. Returns how many went.
    /// </summary>
    public async Task<int> CleanLeftoversAsync(IndexBaseline? baseline, CancellationToken cancellationToken)
    {
        var keep = SnapshotIdOf(baseline);
        var deleted = 0;
        foreach (var snapshot in await _client.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (snapshot.Id == keep || !snapshot.Name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var superseded = keep is { } k && snapshot.Id < k;
            var stale = Age(snapshot) is { } age && age >= LeftoverAge;
            if (superseded || stale)
            {
                deleted += await DeleteAsync(snapshot.Id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
        }

        return deleted;
    }

    /// <summary>Deletes one snapshot; false when it was already gone.</summary>
    public async Task<bool> DeleteAsync(long snapshotId, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteSnapshotAsync(snapshotId, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (QumuloApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            // Someone (another qindex, an administrator) removed it first: the goal is met.
            return false;
        }
    }

    private static long? SnapshotIdOf(IndexBaseline? baseline) =>
        baseline?.ClusterSnapshotId is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static TimeSpan? Age(SnapshotInfo snapshot)
    {
        // Qumulo times carry nanoseconds; .NET parses at most seven fractional digits.
        var text = snapshot.Timestamp is { } t ? System.Text.RegularExpressions.Regex.Replace(t, @"(\.\d{7})\d+", "$1") : null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var taken)
            ? DateTimeOffset.UtcNow - taken
            : null;
    }
}
