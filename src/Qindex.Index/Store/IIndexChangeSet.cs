using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// A batch of row-level changes to the index, committed as one Iceberg snapshot (with its
/// checkpoint, so the data and the position it describes land together or not at all).
/// Changes apply in the order they are added: a later change to a path wins over an earlier one,
/// and a subtree operation sees the rows earlier changes in the same set produced.
/// Paths are absolute; directory paths end with '/', as the cluster writes them.
/// The cost of a commit grows with the number of changes, not with the table.
/// </summary>
public interface IIndexChangeSet : IAsyncDisposable
{
    /// <summary>Inserts the row, or replaces the row with the same path.</summary>
    void Upsert(FileRecord record);

    /// <summary>Deletes the row at <paramref name="path"/> (nothing happens when there is none).</summary>
    void Delete(string path);

    /// <summary>
    /// Deletes the directory row <paramref name="directoryPath"/> (ending with '/') and every row
    /// whose path starts with it.
    /// </summary>
    void DeleteSubtree(string directoryPath);

    /// <summary>
    /// Moves the directory row <paramref name="oldDirectoryPath"/> and every row under it to
    /// <paramref name="newDirectoryPath"/> (both end with '/'): each path's prefix is replaced, its
    /// other columns kept (the directory's own <c>name</c> follows the new path). Rows already at
    /// the destination are replaced, as a rename with clobber replaces them on the cluster.
    /// </summary>
    void MoveSubtree(string oldDirectoryPath, string newDirectoryPath);

    /// <summary>
    /// Says that the file at <paramref name="oldPath"/> was renamed to <paramref name="newPath"/>,
    /// whose row a later upsert in this set writes (and a delete removes the old one): the changes
    /// log records that upsert as a rename from the old path's row. Changes no row; both paths are
    /// as the set's earlier changes left them.
    /// </summary>
    void NoteRename(string oldPath, string newPath)
    {
    }

    /// <summary>
    /// Has the changes log pair rows by the cluster's file id: an insert whose id is that of a row
    /// this set deletes is logged as a rename from it. For sets built from a snapshot difference,
    /// which reports a rename as a delete and a create. Changes no row.
    /// </summary>
    void LogRenamesById()
    {
    }

    /// <summary>Changes added so far (a subtree operation counts once).</summary>
    int Count { get; }

    /// <summary>
    /// Commits every change as one snapshot whose summary records <paramref name="checkpoint"/>
    /// (keys the caller owns, for example the watcher's position) and, when given, a new
    /// <paramref name="baseline"/>. Nothing is visible before this succeeds; disposing without
    /// committing leaves the index as it was.
    /// </summary>
    Task<IndexCommitResult> CommitAsync(IndexBaseline? baseline, IReadOnlyDictionary<string, string> checkpoint, CancellationToken cancellationToken);
}

/// <summary>What a committed change set did.</summary>
/// <param name="RowsUpserted">Rows written (inserted or replaced, moved rows included).</param>
/// <param name="RowsDeleted">Rows removed without a replacement.</param>
/// <param name="SnapshotId">The Iceberg snapshot the commit created (0 when the set was empty and nothing was committed).</param>
public sealed record IndexCommitResult(long RowsUpserted, long RowsDeleted, long SnapshotId);
