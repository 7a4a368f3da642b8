using Qindex.Qumulo;

namespace Qindex.Index.Snapshots;

/// <summary>
/// A snapshot qindex has just taken, not yet named by a committed baseline. Disposing it deletes
/// it from the cluster unless <see cref="Keep"/> was called after the commit that recorded it: a
/// crawl, catch-up or verify that fails or is cancelled between taking a snapshot and committing
/// never leaves it behind (a process killed outright leaves it for the next start's
/// <see cref="BaselineSnapshots.CleanLeftoversAsync"/>).
/// </summary>
public sealed class TakenSnapshot : IAsyncDisposable
{
    private readonly BaselineSnapshots _owner;
    private bool _kept;

    internal TakenSnapshot(BaselineSnapshots owner, SnapshotInfo snapshot)
    {
        _owner = owner;
        Snapshot = snapshot;
    }

    /// <summary>The snapshot as the cluster described it.</summary>
    public SnapshotInfo Snapshot { get; }

    /// <summary>The snapshot's id.</summary>
    public long Id => Snapshot.Id;

    /// <summary>The snapshot is the committed baseline now: disposing leaves it on the cluster.</summary>
    public void Keep() => _kept = true;

    /// <summary>Deletes the snapshot unless kept; a failure to reach the cluster is logged, never thrown.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_kept)
        {
            _kept = true;
            await _owner.DeleteQuietlyAsync(Id).ConfigureAwait(false);
        }
    }
}
