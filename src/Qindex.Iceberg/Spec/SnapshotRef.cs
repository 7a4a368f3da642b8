using System.Text.Json;

namespace Qindex.Iceberg.Spec;

/// <summary>
/// A named reference to a snapshot (spec: "Snapshot References"): a branch or a tag, with its
/// retention settings. qindex moves only <c>main</c>; other references, added by other tools,
/// are carried through every rewrite as they were, retention fields included.
/// </summary>
/// <param name="SnapshotId">The snapshot the reference points at.</param>
/// <param name="Type"><c>branch</c> or <c>tag</c>.</param>
/// <param name="Json">The reference as read, written back unchanged.</param>
public sealed record SnapshotRef(long SnapshotId, string Type, JsonElement Json)
{
    /// <summary>The name of the branch qindex commits to.</summary>
    public const string Main = "main";

    public static SnapshotRef Parse(JsonElement element) =>
        new(Qindex.Iceberg.Json.Long(element, "snapshot-id"), Qindex.Iceberg.Json.String(element, "type"), element.Clone());
}
