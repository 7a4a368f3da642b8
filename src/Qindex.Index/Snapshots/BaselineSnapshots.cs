using System.Globalization;
using Microsoft.Extensions.Logging;
using Qindex.Index.Store;
using Qindex.Qumulo;

namespace Qindex.Index.Snapshots;

/// <summary>
/// The lifecycle of the cluster snapshots one index takes, for crawl, verify and the watcher's
/// catch-up alike: exactly the snapshot the index's baseline names is kept (a catch-up reads
/// <c>changes-since</c> from it); every other snapshot this index took is deleted once a commit has
/// superseded it (<see cref="DeleteSupersededAsync"/>), when the work that took it fails or is
/// cancelled (<see cref="TakeAsync"/> hands out a <see cref="TakenSnapshot"/> that deletes itself
/// unless kept), when its creation's answer was lost (found by name), or at the next start when a
/// crash left it behind (<see cref="CleanLeftoversAsync"/>). On a real cluster each leaked
/// snapshot pins the capacity of every block it holds.
/// <para>
/// Names are <c>qindex-{tag}-{purpose}-{UTC time}</c>, where the tag identifies the index (from
/// its Iceberg table UUID), so two indexes of one cluster never delete each other's snapshots.
/// Snapshot ids grow with time, so "superseded" means an id below the committed baseline's; a
/// snapshot above it may belong to a crawl still running in another process, and is removed at
/// start only once it is older than <see cref="LeftoverAge"/>. Verify snapshots are never
/// superseded (see <see cref="VerifyPurpose"/>).
/// </para>
/// </summary>
public sealed class BaselineSnapshots
{
    /// <summary>Every snapshot qindex takes has a name starting with this.</summary>
    public const string NamePrefix = "qindex-";

    /// <summary>
    /// The purpose of a snapshot that never becomes a baseline (<c>qindex verify</c>'s). A newer
    /// baseline does not supersede it: it may be a verify still running beside a watcher or a
    /// crawl, so only its taker deletes it, or a start once it is older than <see cref="LeftoverAge"/>.
    /// </summary>
    public const string VerifyPurpose = "verify";

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

    /// <summary>Where failures to delete (left for the next start) are reported; none when null.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>The snapshots of <paramref name="store"/>'s index (tagged by <see cref="TagOf"/>).</summary>
    public static BaselineSnapshots For(QumuloClient client, IIndexStore store, ILogger? logger = null) =>
        new(client, TagOf(store)) { Logger = logger };

    /// <summary>The tag of an index: the first 12 hex digits of its Iceberg table UUID, or "index" for other stores.</summary>
    public static string TagOf(IIndexStore store) =>
        store is IcebergIndexStore iceberg ? iceberg.Table.Metadata.TableUuid.ToString("N")[..12] : "index";

    /// <summary>
    /// Takes a snapshot as <see cref="CreateAsync"/> does, owned by the caller until a commit names
    /// it: dispose it to delete it (failure, cancellation), or call <see cref="TakenSnapshot.Keep"/>.
    /// </summary>
    public async Task<TakenSnapshot> TakeAsync(string sourceFileId, string purpose, CancellationToken cancellationToken) =>
        new(this, await CreateAsync(sourceFileId, purpose, cancellationToken).ConfigureAwait(false));

    /// <summary>Takes a snapshot of the directory <paramref name="sourceFileId"/> named for this index and <paramref name="purpose"/> (e.g. crawl, watch).</summary>
    public async Task<SnapshotInfo> CreateAsync(string sourceFileId, string purpose, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var name = $"{Prefix}{purpose}-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfffZ}";
        try
        {
            return await _client.CreateSnapshotAsync(sourceFileId, name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or QumuloApiException or HttpRequestException)
        {
            // Interrupted (Ctrl-C) or cut off after the cluster may have taken it: the answer with
            // its id is lost, but the name is ours, so find it and delete it now rather than leak it.
            await DeleteByNameAsync(name).ConfigureAwait(false);
            throw;
        }
    }

    private async Task DeleteByNameAsync(string name)
    {
        try
        {
            foreach (var snapshot in await _client.ListSnapshotsAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (snapshot.Name == name)
                {
                    await DeleteAsync(snapshot.Id, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception cleanup) when (cleanup is QumuloApiException or HttpRequestException)
        {
            // The cluster cannot be reached either: the next start's CleanLeftoversAsync removes it.
        }
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

            var ours = snapshot.Name.StartsWith(Prefix, StringComparison.Ordinal) && !IsTransient(snapshot);
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
    /// <param name="baseline">The index's committed baseline.</param>
    /// <param name="exclusivePurpose">
    /// A purpose only the caller takes snapshots for on this index (the watcher: one watcher per
    /// index), so a newer snapshot of that purpose is a dead process's and goes at once, whatever
    /// its age. Null: newer snapshots wait for <see cref="LeftoverAge"/>.
    /// </param>
    /// <param name="cancellationToken">Cancels the listing and deletes.</param>
    public async Task<int> CleanLeftoversAsync(IndexBaseline? baseline, CancellationToken cancellationToken, string? exclusivePurpose = null)
    {
        var exclusive = exclusivePurpose is null ? null : $"{Prefix}{exclusivePurpose}-";
        var keep = SnapshotIdOf(baseline);
        var deleted = 0;
        foreach (var snapshot in await _client.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (snapshot.Id == keep || !snapshot.Name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var superseded = keep is { } k && snapshot.Id < k && !IsTransient(snapshot);
            var stale = Age(snapshot) is { } age && age >= LeftoverAge;
            var deadOwner = exclusive is not null && snapshot.Name.StartsWith(exclusive, StringComparison.Ordinal);
            if (superseded || stale || deadOwner)
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

    /// <summary>
    /// Deletes one snapshot without throwing: when the cluster cannot be reached it is logged and
    /// left for the next start's <see cref="CleanLeftoversAsync"/> (its name carries this index's
    /// tag). Returns true when it is gone.
    /// </summary>
    public async Task<bool> DeleteQuietlyAsync(long snapshotId)
    {
        try
        {
            await DeleteAsync(snapshotId, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is QumuloApiException or HttpRequestException or IOException)
        {
            Logger?.LogWarning("could not delete snapshot {Snapshot}: {Reason} (it is removed at the next start)", snapshotId, e.Message);
            return false;
        }
    }

    private bool IsTransient(SnapshotInfo snapshot) =>
        snapshot.Name.StartsWith($"{Prefix}{VerifyPurpose}-", StringComparison.Ordinal);

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
