using System.Text.Json;

namespace Qindex.Iceberg.Spec;

/// <summary>One field of a sort order: an identity transform of a source column.</summary>
public sealed record SortField(int SourceId, bool Ascending = true, bool NullsFirst = true);

/// <summary>
/// A table's sort order (spec: "Sort Orders"). qindex sorts data files by path, so readers and
/// writers of other engines keep files sorted the same way. Order id 0 is the reserved "unsorted".
/// </summary>
public sealed record SortOrder(int OrderId, IReadOnlyList<SortField> Fields)
{
    /// <summary>The reserved unsorted order.</summary>
    public static SortOrder Unsorted { get; } = new(0, []);

    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("order-id", OrderId);
        writer.WriteStartArray("fields");
        foreach (var field in Fields)
        {
            writer.WriteStartObject();
            writer.WriteString("transform", "identity");
            writer.WriteNumber("source-id", field.SourceId);
            writer.WriteString("direction", field.Ascending ? "asc" : "desc");
            writer.WriteString("null-order", field.NullsFirst ? "nulls-first" : "nulls-last");
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static SortOrder Parse(JsonElement element)
    {
        var fields = new List<SortField>();
        foreach (var f in Json.Required(element, "fields").EnumerateArray())
        {
            if (Json.String(f, "transform") != "identity")
            {
                // Another writer's transform: keep the order id, ignore the field for our writes.
                continue;
            }

            fields.Add(new SortField(Json.Int(f, "source-id"), Json.String(f, "direction") == "asc", Json.String(f, "null-order") == "nulls-first"));
        }

        return new SortOrder(Json.Int(element, "order-id"), fields);
    }
}
