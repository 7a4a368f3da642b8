using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Table;

/// <summary>
/// Adds data files and position-delete files in one snapshot (merge-on-read row changes). The
/// deletes name rows of <see cref="ReferencedDataFiles"/> by position, so the operation is valid
/// only while every one of them is still live: a compaction that rewrote one of them meanwhile
/// moved its rows, and the positions would now delete nothing (or the wrong rows).
/// </summary>
public sealed class RowDelta : SnapshotOperation
{
    /// <summary>New data files.</summary>
    public IReadOnlyList<DataFile> AddedDataFiles { get; init; } = [];

    /// <summary>New position-delete files.</summary>
    public IReadOnlyList<DataFile> AddedDeleteFiles { get; init; } = [];

    /// <summary>Locations of the data files the delete files name.</summary>
    public IReadOnlySet<string> ReferencedDataFiles { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    internal override FileChange ToFileChange() => new()
    {
        Added = [.. AddedDataFiles, .. AddedDeleteFiles],
        Summary = Summary,
        InheritSummary = InheritSummary,
    };

    internal override async Task ValidateAsync(IcebergTable table, CancellationToken cancellationToken)
    {
        if (ReferencedDataFiles.Count == 0)
        {
            return;
        }

        var live = (await table.LiveEntriesAsync(cancellationToken).ConfigureAwait(false))
            .Where(e => e.DataFile.Content == FileContent.Data)
            .Select(e => e.DataFile.FilePath)
            .ToHashSet(StringComparer.Ordinal);
        var gone = ReferencedDataFiles.FirstOrDefault(f => !live.Contains(f));
        if (gone is not null)
        {
            throw new CommitValidationException($"data file {gone} was removed by a concurrent commit (a compaction?); its position deletes no longer apply");
        }
    }
}
