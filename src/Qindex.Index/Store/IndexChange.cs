using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>What one change in a change set does.</summary>
internal enum IndexChangeKind
{
    Upsert,
    Delete,
    DeleteSubtree,
    MoveSubtree,

    /// <summary>A file renamed: links the later upsert at <see cref="IndexChange.NewPath"/> to the row at <see cref="IndexChange.Path"/> for the changes log.</summary>
    NoteRename,
}

/// <summary>One change of a change set, in the order it was added.</summary>
/// <param name="Kind">What the change does.</param>
/// <param name="Path">The path (or old directory prefix) it applies to.</param>
/// <param name="NewPath">The new directory prefix of a move.</param>
/// <param name="Record">The row of an upsert.</param>
internal sealed record IndexChange(IndexChangeKind Kind, string Path, string? NewPath = null, FileRecord? Record = null);
