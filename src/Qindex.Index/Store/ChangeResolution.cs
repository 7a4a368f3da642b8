using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// What a change set comes to once its changes are applied in order against one snapshot: the
/// final row (or its absence) for every path it touches, and where renamed rows came from.
/// </summary>
internal sealed class ChangeResolution
{
    private readonly Dictionary<string, FileRecord?> _final = new(StringComparer.Ordinal);

    /// <summary>The final state of every touched path: a row, or null for gone.</summary>
    public IReadOnlyDictionary<string, FileRecord?> Final => _final;

    /// <summary>Where resolving spent its reads (for <see cref="ChangeSetTimings"/>).</summary>
    public (int Files, long Paths, double Seconds) PathsRead { get; set; }

    /// <summary>Whole rows read for moves, and the seconds it took.</summary>
    public (long Rows, double Seconds) RowsRead { get; set; }

    /// <summary>Renames: new path to old path, for the changes log.</summary>
    public Dictionary<string, string> MovedFrom { get; } = new(StringComparer.Ordinal);

    /// <summary>Sets the final state of <paramref name="path"/>: a row, or null for gone.</summary>
    public void Set(string path, FileRecord? row) => _final[path] = row;
}
