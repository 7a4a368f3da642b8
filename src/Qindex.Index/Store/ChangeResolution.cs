using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// What a change set comes to once its changes are applied in order against one snapshot: the
/// final row (or its absence) for every path it touches, and what each path was before.
/// </summary>
internal sealed class ChangeResolution
{
    /// <summary>The final state of every touched path: a row, or null for gone.</summary>
    public Dictionary<string, FileRecord?> Final { get; } = new(StringComparer.Ordinal);

    /// <summary>The row each touched path had in the snapshot (only for rows read whole, for the changes log).</summary>
    public Dictionary<string, FileRecord> Before { get; } = new(StringComparer.Ordinal);

    /// <summary>Renames: new path to old path, for the changes log.</summary>
    public Dictionary<string, string> MovedFrom { get; } = new(StringComparer.Ordinal);
}
