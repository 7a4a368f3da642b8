using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Watch;

/// <summary>
/// Passes a batch's changes to the store's change set and remembers the paths it writes rows at.
/// An entry read by its id, or listed while its directory moved, lands at the path the cluster
/// answers with, which no event of the batch named; the journal must name it too, or a catch-up
/// after a crash would leave the row behind once that path is gone again.
/// </summary>
internal sealed class RecordingChangeSet(IIndexChangeSet inner) : IIndexChangeSet
{
    /// <summary>Paths rows were upserted at, in this batch.</summary>
    public HashSet<string> Written { get; } = new(StringComparer.Ordinal);

    public int Count => inner.Count;

    public void Upsert(FileRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        inner.Upsert(record);
        Written.Add(record.Path);
    }

    public void Delete(string path) => inner.Delete(path);

    public void DeleteSubtree(string directoryPath) => inner.DeleteSubtree(directoryPath);

    public void MoveSubtree(string oldDirectoryPath, string newDirectoryPath) => inner.MoveSubtree(oldDirectoryPath, newDirectoryPath);

    public void NoteRename(string oldPath, string newPath) => inner.NoteRename(oldPath, newPath);

    public Task<IndexCommitResult> CommitAsync(IndexBaseline? baseline, IReadOnlyDictionary<string, string> checkpoint, CancellationToken cancellationToken) =>
        inner.CommitAsync(baseline, checkpoint, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
