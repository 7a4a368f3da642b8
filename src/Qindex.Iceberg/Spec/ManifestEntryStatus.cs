namespace Qindex.Iceberg.Spec;

/// <summary>The status of a manifest entry.</summary>
public enum ManifestEntryStatus
{
    /// <summary>The file was in the table before this manifest's snapshot.</summary>
    Existing = 0,

    /// <summary>The file was added by this manifest's snapshot.</summary>
    Added = 1,

    /// <summary>The file was removed by this manifest's snapshot.</summary>
    Deleted = 2,
}
