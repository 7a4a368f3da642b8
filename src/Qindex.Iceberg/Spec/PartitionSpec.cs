using System.Text.Json;

namespace Qindex.Iceberg.Spec;

/// <summary>
/// The partition spec. qindex tables are unpartitioned (spec id 0, no fields): a file system index
/// is read whole or pruned by path bounds, and partitioning by directory would scatter renames.
/// </summary>
public static class PartitionSpec
{
    /// <summary>The unpartitioned spec's id.</summary>
    public const int UnpartitionedSpecId = 0;

    /// <summary>The last partition field id of a table that never had partition fields (as Java writes it).</summary>
    public const int UnpartitionedLastPartitionId = 999;

    public static void WriteUnpartitioned(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("spec-id", UnpartitionedSpecId);
        writer.WriteStartArray("fields");
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
