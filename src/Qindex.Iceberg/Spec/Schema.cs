using System.Text.Json;

namespace Qindex.Iceberg.Spec;

/// <summary>A column of a flat schema: the spec's <c>struct</c> field with its permanent id.</summary>
public sealed record NestedField(int Id, string Name, PrimitiveType Type, bool Required = false, string? Doc = null);

/// <summary>A table schema (spec: "Schemas and Data Types"); qindex's tables are flat.</summary>
public sealed record Schema(int SchemaId, IReadOnlyList<NestedField> Fields)
{
    /// <summary>The highest field id, for the table metadata's <c>last-column-id</c>.</summary>
    public int HighestFieldId => Fields.Count == 0 ? 0 : Fields.Max(f => f.Id);

    /// <summary>The field with <paramref name="id"/>, or null.</summary>
    public NestedField? FindField(int id) => Fields.FirstOrDefault(f => f.Id == id);

    /// <summary>Writes the schema as the spec's JSON object.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", "struct");
        writer.WriteNumber("schema-id", SchemaId);
        writer.WriteStartArray("fields");
        foreach (var field in Fields)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", field.Id);
            writer.WriteString("name", field.Name);
            writer.WriteBoolean("required", field.Required);
            writer.WriteString("type", PrimitiveTypes.Name(field.Type));
            if (field.Doc is not null)
            {
                writer.WriteString("doc", field.Doc);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The schema as a JSON string (for manifest file metadata).</summary>
    public string ToJson() => Json.Write(WriteJson);

    /// <summary>Parses the spec's JSON object.</summary>
    public static Schema Parse(JsonElement element)
    {
        var fields = new List<NestedField>();
        foreach (var f in Json.Required(element, "fields").EnumerateArray())
        {
            var type = Json.Required(f, "type");
            if (type.ValueKind != JsonValueKind.String)
            {
                throw new IcebergException($"field '{Json.String(f, "name")}': nested types are not supported in qindex tables");
            }

            fields.Add(new NestedField(
                Json.Int(f, "id"),
                Json.String(f, "name"),
                PrimitiveTypes.Parse(type.GetString()!),
                Json.Required(f, "required").GetBoolean(),
                f.TryGetProperty("doc", out var doc) ? doc.GetString() : null));
        }

        return new Schema(element.TryGetProperty("schema-id", out var id) ? id.GetInt32() : 0, fields);
    }
}
