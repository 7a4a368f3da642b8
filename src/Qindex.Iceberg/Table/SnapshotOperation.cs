namespace Qindex.Iceberg.Table;

/// <summary>
/// One kind of table change committed as one snapshot (as iceberg-rust's transaction actions and
/// pyiceberg's update classes have them): it knows the files it adds and removes, the snapshot it
/// was planned against, and what a concurrent commit must not have done for it to still be valid.
/// </summary>
public abstract class SnapshotOperation
{
    /// <summary>The snapshot the operation was planned against (null for an empty table).</summary>
    public required long? BaseSnapshotId { get; init; }

    /// <summary>Extra snapshot summary properties.</summary>
    public IReadOnlyDictionary<string, string> Summary { get; init; } = new Dictionary<string, string>();

    /// <summary>Which of the parent snapshot's summary properties carry forward when <see cref="Summary"/> does not set them.</summary>
    public Func<string, bool>? InheritSummary { get; init; }

    /// <summary>The files the snapshot adds and removes.</summary>
    internal abstract FileChange ToFileChange();

    /// <summary>
    /// Called when the table moved on since <see cref="BaseSnapshotId"/>, before the commit is
    /// rebuilt on the new state.
    /// </summary>
    /// <exception cref="CommitValidationException">A concurrent commit invalidated the operation.</exception>
    internal abstract Task ValidateAsync(IcebergTable table, CancellationToken cancellationToken);
}
