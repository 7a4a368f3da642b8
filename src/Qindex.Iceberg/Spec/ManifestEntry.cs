namespace Qindex.Iceberg.Spec;

/// <summary>One entry of a manifest (spec: <c>manifest_entry</c>).</summary>
public sealed record ManifestEntry(
    ManifestEntryStatus Status,
    long? SnapshotId,
    long? SequenceNumber,
    long? FileSequenceNumber,
    DataFile DataFile)
{
    /// <summary>
    /// The entry with the values it may leave null filled in from <paramref name="manifest"/>
    /// (spec: "Sequence Number Inheritance"; as pyiceberg's <c>_inherit_from_manifest</c>). A
    /// manifest written at sequence number 0 predates sequence numbers (format v1): every entry
    /// inherits from it.
    /// </summary>
    public ManifestEntry InheritFrom(ManifestFile manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        bool inherits = Status == ManifestEntryStatus.Added || manifest.SequenceNumber == 0;
        return this with
        {
            SnapshotId = SnapshotId ?? manifest.AddedSnapshotId,
            SequenceNumber = SequenceNumber ?? (inherits ? manifest.SequenceNumber : null),
            FileSequenceNumber = FileSequenceNumber ?? (inherits ? manifest.SequenceNumber : null),
        };
    }
}
