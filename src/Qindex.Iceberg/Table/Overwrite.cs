using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Table;

/// <summary>
/// Replaces the whole content of the table with <see cref="Added"/> (a crawl or an import). It
/// is valid on any base: whatever another writer committed meanwhile is replaced too.
/// </summary>
public sealed class Overwrite : SnapshotOperation
{
    /// <summary>The data files of the new content.</summary>
    public required IReadOnlyList<DataFile> Added { get; init; }

    internal override FileChange ToFileChange() => new() { Added = Added, RemoveAll = true, Summary = Summary, InheritSummary = InheritSummary };

    internal override Task ValidateAsync(IcebergTable table, CancellationToken cancellationToken) => Task.CompletedTask;
}
