using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Qindex.Iceberg;

/// <summary>Small helpers for reading and writing the spec's JSON with clear errors.</summary>
internal static class Json
{
    public static string Write(Action<Utf8JsonWriter> write, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static byte[] WriteBytes(Action<Utf8JsonWriter> write, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static JsonElement Required(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new IcebergException($"missing '{name}' in Iceberg JSON");

    public static string String(JsonElement element, string name) =>
        Required(element, name).GetString() ?? throw new IcebergException($"'{name}' is null in Iceberg JSON");

    public static int Int(JsonElement element, string name) => Required(element, name).GetInt32();

    public static long Long(JsonElement element, string name) => Required(element, name).GetInt64();

    public static long? OptionalLong(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    public static Dictionary<string, string> StringMap(JsonElement element, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.TryGetProperty(name, out var obj) && obj.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in obj.EnumerateObject())
            {
                map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
        }

        return map;
    }

    public static void WriteStringMap(Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, string> map)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }
}
