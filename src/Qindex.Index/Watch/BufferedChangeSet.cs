using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Watch;

/// <summary>
/// Holds a batch's changes, in order, until the store can take them: the watcher resolves one
/// batch against the cluster while the previous batch commits, then replays the held changes into
/// a change set of the store. Paths are checked by the store's change set at replay.
/// </summary>
internal sealed class BufferedChangeSet : IIndexChangeSet
{
    private List<(IndexChangeKind Kind, string Path, string? NewPath, FileRecord? Record)> _changes = [];
    private int _notes;

    public int Count => _changes.Count - _notes;

    public void Upsert(FileRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _changes.Add((IndexChangeKind.Upsert, record.Path, null, record));
    }

    public void Delete(string path) => _changes.Add((IndexChangeKind.Delete, path, null, null));

    public void DeleteSubtree(string directoryPath) => _changes.Add((IndexChangeKind.DeleteSubtree, directoryPath, null, null));

    public void MoveSubtree(string oldDirectoryPath, string newDirectoryPath) => _changes.Add((IndexChangeKind.MoveSubtree, oldDirectoryPath, newDirectoryPath, null));

    public void NoteRename(string oldPath, string newPath)
    {
        _changes.Add((IndexChangeKind.NoteRename, oldPath, newPath, null));
        _notes++;
    }

    /// <summary>
    /// Moves every change held so far into a new set and leaves this one empty: a part committed
    /// ahead of the rest of its batch (a directory moved in whose rows would not fit in memory
    /// together), the changes after it still in order behind it.
    /// </summary>
    public BufferedChangeSet TakeAll()
    {
        var taken = new BufferedChangeSet { _changes = _changes, _notes = _notes };
        _changes = [];
        _notes = 0;
        return taken;
    }

    /// <summary>Adds every held change to <paramref name="target"/>, in the order they came.</summary>
    public void ReplayInto(IIndexChangeSet target)
    {
        ArgumentNullException.ThrowIfNull(target);
        foreach (var (kind, path, newPath, record) in _changes)
        {
            switch (kind)
            {
                case IndexChangeKind.Upsert:
                    target.Upsert(record!);
                    break;
                case IndexChangeKind.Delete:
                    target.Delete(path);
                    break;
                case IndexChangeKind.DeleteSubtree:
                    target.DeleteSubtree(path);
                    break;
                case IndexChangeKind.MoveSubtree:
                    target.MoveSubtree(path, newPath!);
                    break;
                case IndexChangeKind.NoteRename:
                    target.NoteRename(path, newPath!);
                    break;
            }
        }
    }

    public Task<IndexCommitResult> CommitAsync(IndexBaseline? baseline, IReadOnlyDictionary<string, string> checkpoint, CancellationToken cancellationToken) =>
        throw new NotSupportedException("a buffered change set is replayed into the store's change set, which commits");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
