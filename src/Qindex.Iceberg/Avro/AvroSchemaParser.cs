using System.Text.Json;

namespace Qindex.Iceberg.Avro;

/// <summary>
/// Parses Avro schema JSON into the <see cref="AvroSchema"/> model. Named types are registered as
/// they are met so later references by name (and a record's references to itself) resolve.
/// </summary>
internal sealed class AvroSchemaParser
{
    private readonly Dictionary<string, AvroNamedSchema> _named = new(StringComparer.Ordinal);

    public static AvroSchema Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new AvroFormatException("schema is not valid JSON: " + e.Message, e);
        }

        using (document)
        {
            return new AvroSchemaParser().ParseNode(document.RootElement, null);
        }
    }

    private AvroSchema ParseNode(JsonElement node, string? enclosingNamespace)
    {
        switch (node.ValueKind)
        {
            case JsonValueKind.String:
                return ResolveName(node.GetString()!, enclosingNamespace);
            case JsonValueKind.Array:
                {
                    var branches = new List<AvroSchema>(node.GetArrayLength());
                    foreach (var branch in node.EnumerateArray())
                    {
                        branches.Add(ParseNode(branch, enclosingNamespace));
                    }

                    return Wrap(() => new AvroUnionSchema(branches));
                }

            case JsonValueKind.Object:
                return ParseObject(node, enclosingNamespace);
            default:
                throw new AvroFormatException($"schema node must be a string, array or object, not {node.ValueKind}");
        }
    }

    private AvroSchema ResolveName(string name, string? enclosingNamespace)
    {
        if (TryPrimitive(name, out var primitive))
        {
            return AvroSchema.Primitive(primitive);
        }

        // A bare name is looked up in the enclosing namespace first, then as given.
        if (!name.Contains('.', StringComparison.Ordinal) && enclosingNamespace is not null
            && _named.TryGetValue(enclosingNamespace + "." + name, out var inNamespace))
        {
            return inNamespace;
        }

        return _named.TryGetValue(name, out var named)
            ? named
            : throw new AvroFormatException($"schema refers to unknown type '{name}'");
    }

    private AvroSchema ParseObject(JsonElement node, string? enclosingNamespace)
    {
        if (!node.TryGetProperty("type", out var typeNode))
        {
            throw new AvroFormatException("schema object has no \"type\"");
        }

        if (typeNode.ValueKind != JsonValueKind.String)
        {
            // {"type": {...}} or {"type": [...]}: a wrapped schema, as some writers emit.
            return ParseNode(typeNode, enclosingNamespace);
        }

        var type = typeNode.GetString()!;
        if (TryPrimitive(type, out var primitive))
        {
            var props = CollectProps(node, "type");
            return props is null ? AvroSchema.Primitive(primitive) : new AvroPrimitiveSchema(primitive, props);
        }

        switch (type)
        {
            case "record":
            case "error":
                return ParseRecord(node, enclosingNamespace);
            case "fixed":
                {
                    var (name, ns) = NameOf(node, enclosingNamespace);
                    if (!node.TryGetProperty("size", out var sizeNode) || !sizeNode.TryGetInt32(out var size))
                    {
                        throw new AvroFormatException($"fixed '{name}' has no integer \"size\"");
                    }

                    var props = CollectProps(node, "type", "name", "namespace", "size", "aliases", "doc");
                    return Register(Wrap(() => new AvroFixedSchema(name, size, ns, props)));
                }

            case "array":
                {
                    if (!node.TryGetProperty("items", out var items))
                    {
                        throw new AvroFormatException("array schema has no \"items\"");
                    }

                    var itemSchema = ParseNode(items, enclosingNamespace);
                    return new AvroArraySchema(itemSchema, CollectProps(node, "type", "items"));
                }

            case "map":
                {
                    if (!node.TryGetProperty("values", out var values))
                    {
                        throw new AvroFormatException("map schema has no \"values\"");
                    }

                    var valueSchema = ParseNode(values, enclosingNamespace);
                    return new AvroMapSchema(valueSchema, CollectProps(node, "type", "values"));
                }

            default:
                // A named reference written in object form, e.g. {"type": "r102"}.
                return ResolveName(type, enclosingNamespace);
        }
    }

    private AvroRecordSchema ParseRecord(JsonElement node, string? enclosingNamespace)
    {
        var (name, ns) = NameOf(node, enclosingNamespace);
        if (!node.TryGetProperty("fields", out var fieldsNode) || fieldsNode.ValueKind != JsonValueKind.Array)
        {
            throw new AvroFormatException($"record '{name}' has no \"fields\" array");
        }

        var doc = node.TryGetProperty("doc", out var docNode) && docNode.ValueKind == JsonValueKind.String ? docNode.GetString() : null;
        var props = CollectProps(node, "type", "name", "namespace", "fields", "doc", "aliases");

        // Registered before its fields are parsed so that a field may refer to the record itself.
        var record = Wrap(() => new AvroRecordSchema(name, [], ns, doc, props));
        Register(record);
        var fields = new List<AvroField>(fieldsNode.GetArrayLength());
        foreach (var fieldNode in fieldsNode.EnumerateArray())
        {
            if (fieldNode.ValueKind != JsonValueKind.Object)
            {
                throw new AvroFormatException($"record '{name}' has a field that is not an object");
            }

            if (!fieldNode.TryGetProperty("name", out var fieldName) || fieldName.ValueKind != JsonValueKind.String)
            {
                throw new AvroFormatException($"record '{name}' has a field with no name");
            }

            if (!fieldNode.TryGetProperty("type", out var fieldType))
            {
                throw new AvroFormatException($"field '{fieldName.GetString()}' of record '{name}' has no type");
            }

            var fieldSchema = ParseNode(fieldType, record.Namespace);
            JsonElement? defaultValue = fieldNode.TryGetProperty("default", out var d) ? d.Clone() : null;
            var fieldDoc = fieldNode.TryGetProperty("doc", out var fd) && fd.ValueKind == JsonValueKind.String ? fd.GetString() : null;
            var fieldProps = CollectProps(fieldNode, "name", "type", "default", "doc", "aliases", "order");
            fields.Add(new AvroField(fieldName.GetString()!, fieldSchema, null, defaultValue, fieldDoc, fieldProps));
        }

        Wrap(() =>
        {
            record.SetFields(fields);
            return record;
        });
        return record;
    }

    private static (string Name, string? Namespace) NameOf(JsonElement node, string? enclosingNamespace)
    {
        if (!node.TryGetProperty("name", out var nameNode) || nameNode.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(nameNode.GetString()))
        {
            throw new AvroFormatException("named schema has no \"name\"");
        }

        var ns = enclosingNamespace;
        if (node.TryGetProperty("namespace", out var nsNode) && nsNode.ValueKind is JsonValueKind.String or JsonValueKind.Null)
        {
            ns = nsNode.GetString();
        }

        return (nameNode.GetString()!, ns);
    }

    private T Register<T>(T schema)
        where T : AvroNamedSchema
    {
        if (!_named.TryAdd(schema.FullName, schema))
        {
            throw new AvroFormatException($"schema defines type '{schema.FullName}' twice");
        }

        return schema;
    }

    /// <summary>Turns model validation errors into format errors, since here they come from the file.</summary>
    private static T Wrap<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException e)
        {
            throw new AvroFormatException("invalid schema: " + e.Message, e);
        }
    }

    private static Dictionary<string, object>? CollectProps(JsonElement node, params string[] reserved)
    {
        Dictionary<string, object>? props = null;
        foreach (var property in node.EnumerateObject())
        {
            if (Array.IndexOf(reserved, property.Name) >= 0)
            {
                continue;
            }

            props ??= new Dictionary<string, object>(StringComparer.Ordinal);
            props[property.Name] = PropValue(property.Value);
        }

        return props;
    }

    private static object PropValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when value.TryGetInt32(out var i) => i,
        JsonValueKind.Number when value.TryGetInt64(out var l) => l,
        JsonValueKind.Number => value.GetDouble(),
        _ => value.Clone(),
    };

    private static bool TryPrimitive(string name, out AvroType type)
    {
        switch (name)
        {
            case "null":
                type = AvroType.Null;
                return true;
            case "boolean":
                type = AvroType.Boolean;
                return true;
            case "int":
                type = AvroType.Int;
                return true;
            case "long":
                type = AvroType.Long;
                return true;
            case "float":
                type = AvroType.Float;
                return true;
            case "double":
                type = AvroType.Double;
                return true;
            case "bytes":
                type = AvroType.Bytes;
                return true;
            case "string":
                type = AvroType.String;
                return true;
            default:
                type = default;
                return false;
        }
    }
}
