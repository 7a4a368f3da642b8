using System.Text;
using System.Text.Json;

namespace Qindex.Iceberg.Avro;

/// <summary>The kind of an Avro schema node.</summary>
public enum AvroType
{
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record,
    Array,
    Map,
    Union,
    Fixed,
}

/// <summary>
/// An Avro schema node. The model is deliberately small: the primitives, record, array, map, union
/// and fixed. Custom properties (Iceberg's "field-id", "element-id", "logicalType" and the like) are
/// kept as they are so that they survive a write and a parse unchanged.
/// </summary>
public abstract class AvroSchema
{
    private static readonly IReadOnlyDictionary<string, object> NoProps = new Dictionary<string, object>();

    /// <summary>Creates a node of <paramref name="type"/> with optional custom properties.</summary>
    protected AvroSchema(AvroType type, IReadOnlyDictionary<string, object>? props)
    {
        Type = type;
        Props = props ?? NoProps;
    }

    /// <summary>The kind of this node.</summary>
    public AvroType Type { get; }

    /// <summary>
    /// Custom properties beyond the ones Avro defines. Values are <see cref="int"/>, <see cref="long"/>,
    /// <see cref="double"/>, <see cref="bool"/>, <see cref="string"/> or, for anything nested, a <see cref="JsonElement"/>.
    /// </summary>
    public IReadOnlyDictionary<string, object> Props { get; }

    public static AvroPrimitiveSchema Null { get; } = new(AvroType.Null);

    public static AvroPrimitiveSchema Boolean { get; } = new(AvroType.Boolean);

    public static AvroPrimitiveSchema Int { get; } = new(AvroType.Int);

    public static AvroPrimitiveSchema Long { get; } = new(AvroType.Long);

    public static AvroPrimitiveSchema Float { get; } = new(AvroType.Float);

    public static AvroPrimitiveSchema Double { get; } = new(AvroType.Double);

    public static AvroPrimitiveSchema Bytes { get; } = new(AvroType.Bytes);

    public static AvroPrimitiveSchema String { get; } = new(AvroType.String);

    /// <summary>The shared primitive node for <paramref name="type"/>.</summary>
    public static AvroPrimitiveSchema Primitive(AvroType type) => type switch
    {
        AvroType.Null => Null,
        AvroType.Boolean => Boolean,
        AvroType.Int => Int,
        AvroType.Long => Long,
        AvroType.Float => Float,
        AvroType.Double => Double,
        AvroType.Bytes => Bytes,
        AvroType.String => String,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a primitive type"),
    };

    /// <summary>A union of null and <paramref name="schema"/>, null first as Iceberg writes optional fields.</summary>
    public static AvroUnionSchema Optional(AvroSchema schema) => new([Null, schema]);

    /// <summary>Reads the integer custom property <paramref name="name"/>, if present and integral.</summary>
    public int? GetIntProp(string name) => GetIntProp(Props, name);

    internal static int? GetIntProp(IReadOnlyDictionary<string, object> props, string name)
    {
        if (!props.TryGetValue(name, out var value))
        {
            return null;
        }

        return value switch
        {
            int i => i,
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            _ => null,
        };
    }

    /// <summary>Serializes this schema to JSON text.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteJson(writer);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Writes this schema as JSON. A named type (record, fixed) is written in full the first time
    /// and by name afterwards, since Avro forbids defining one name twice in a schema.
    /// </summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        WriteJson(writer, new HashSet<string>(StringComparer.Ordinal), null);
    }

    /// <summary>Parses a schema from JSON text.</summary>
    public static AvroSchema Parse(string json) => AvroSchemaParser.Parse(json);

    /// <inheritdoc/>
    public override string ToString() => ToJson();

    internal abstract void WriteJson(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace);

    internal void WriteProps(Utf8JsonWriter writer) => WriteProps(writer, Props);

    internal static void WriteProps(Utf8JsonWriter writer, IReadOnlyDictionary<string, object> props)
    {
        foreach (var (key, value) in props)
        {
            writer.WritePropertyName(key);
            WritePropValue(writer, value);
        }
    }

    private static void WritePropValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case JsonElement e:
                e.WriteTo(writer);
                break;
            default:
                throw new ArgumentException($"unsupported custom property value of type {value.GetType()}", nameof(value));
        }
    }
}

/// <summary>A primitive Avro type: null, boolean, int, long, float, double, bytes or string.</summary>
public sealed class AvroPrimitiveSchema : AvroSchema
{
    /// <summary>Creates a primitive node; props are usually absent, but "logicalType" and the like may ride on one.</summary>
    public AvroPrimitiveSchema(AvroType type, IReadOnlyDictionary<string, object>? props = null)
        : base(type, props)
    {
        if (type > AvroType.String)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "not a primitive type");
        }
    }

    /// <summary>The Avro name of a primitive type, as written in schema JSON.</summary>
    public static string NameOf(AvroType type) => type switch
    {
        AvroType.Null => "null",
        AvroType.Boolean => "boolean",
        AvroType.Int => "int",
        AvroType.Long => "long",
        AvroType.Float => "float",
        AvroType.Double => "double",
        AvroType.Bytes => "bytes",
        AvroType.String => "string",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a primitive type"),
    };

    internal override void WriteJson(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace)
    {
        if (Props.Count == 0)
        {
            writer.WriteStringValue(NameOf(Type));
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("type", NameOf(Type));
        WriteProps(writer);
        writer.WriteEndObject();
    }
}

/// <summary>Base of the named Avro types (record, fixed), which carry a name and an optional namespace.</summary>
public abstract class AvroNamedSchema : AvroSchema
{
    /// <summary>Creates a named node. A dotted <paramref name="name"/> carries its own namespace.</summary>
    protected AvroNamedSchema(AvroType type, string name, string? ns, IReadOnlyDictionary<string, object>? props)
        : base(type, props)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var dot = name.LastIndexOf('.');
        if (dot >= 0)
        {
            Namespace = name[..dot];
            Name = name[(dot + 1)..];
        }
        else
        {
            Name = name;
            Namespace = string.IsNullOrEmpty(ns) ? null : ns;
        }

        FullName = Namespace is null ? Name : Namespace + "." + Name;
    }

    /// <summary>The short name.</summary>
    public string Name { get; }

    /// <summary>The namespace, or null for none.</summary>
    public string? Namespace { get; }

    /// <summary>Namespace and name joined with a dot.</summary>
    public string FullName { get; }

    /// <summary>
    /// Writes the name (and namespace if it differs from the enclosing one) and reports whether the
    /// body still needs writing; a name seen before becomes a bare reference.
    /// </summary>
    private protected bool WriteHeader(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace, string typeName)
    {
        if (!written.Add(FullName))
        {
            writer.WriteStringValue(Namespace == enclosingNamespace ? Name : FullName);
            return false;
        }

        writer.WriteStartObject();
        writer.WriteString("type", typeName);
        writer.WriteString("name", Name);
        if (Namespace != enclosingNamespace)
        {
            writer.WriteString("namespace", Namespace ?? string.Empty);
        }

        return true;
    }
}

/// <summary>An Avro record: a named, ordered list of fields.</summary>
public sealed class AvroRecordSchema : AvroNamedSchema
{
    private IReadOnlyList<AvroField> _fields = [];
    private Dictionary<string, int> _positions = new(StringComparer.Ordinal);

    /// <summary>Creates a record with its fields.</summary>
    public AvroRecordSchema(
        string name,
        IEnumerable<AvroField> fields,
        string? ns = null,
        string? doc = null,
        IReadOnlyDictionary<string, object>? props = null)
        : base(AvroType.Record, name, ns, props)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Doc = doc;
        SetFields([.. fields]);
    }

    /// <summary>The record's documentation, if any.</summary>
    public string? Doc { get; }

    /// <summary>The fields in declaration (and encoding) order.</summary>
    public IReadOnlyList<AvroField> Fields => _fields;

    /// <summary>The position of field <paramref name="name"/>, or -1 when the record has no such field.</summary>
    public int IndexOf(string name) => _positions.TryGetValue(name, out var i) ? i : -1;

    /// <summary>The field named <paramref name="name"/>; throws when absent.</summary>
    public AvroField GetField(string name)
    {
        var i = IndexOf(name);
        return i >= 0 ? _fields[i] : throw new KeyNotFoundException($"record {FullName} has no field '{name}'");
    }

    /// <summary>Sets the fields after construction, which the parser needs for records that refer to themselves.</summary>
    internal void SetFields(IReadOnlyList<AvroField> fields)
    {
        var positions = new Dictionary<string, int>(fields.Count, StringComparer.Ordinal);
        for (var i = 0; i < fields.Count; i++)
        {
            if (!positions.TryAdd(fields[i].Name, i))
            {
                throw new ArgumentException($"record {FullName} has field '{fields[i].Name}' twice", nameof(fields));
            }
        }

        _fields = fields;
        _positions = positions;
    }

    internal override void WriteJson(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace)
    {
        if (!WriteHeader(writer, written, enclosingNamespace, "record"))
        {
            return;
        }

        if (Doc is not null)
        {
            writer.WriteString("doc", Doc);
        }

        writer.WriteStartArray("fields");
        foreach (var field in _fields)
        {
            field.WriteJson(writer, written, Namespace);
        }

        writer.WriteEndArray();
        WriteProps(writer);
        writer.WriteEndObject();
    }
}

/// <summary>One field of an <see cref="AvroRecordSchema"/>.</summary>
public sealed class AvroField
{
    /// <summary>The Iceberg property that carries a field's id.</summary>
    public const string FieldIdProp = "field-id";

    private static readonly IReadOnlyDictionary<string, object> NoProps = new Dictionary<string, object>();

    /// <summary>
    /// Creates a field. <paramref name="fieldId"/>, when given, becomes the "field-id" property that
    /// Iceberg uses to match columns by id rather than by name.
    /// </summary>
    public AvroField(
        string name,
        AvroSchema schema,
        int? fieldId = null,
        JsonElement? defaultValue = null,
        string? doc = null,
        IReadOnlyDictionary<string, object>? props = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(schema);
        Name = name;
        Schema = schema;
        Default = defaultValue;
        Doc = doc;
        if (fieldId is int id)
        {
            var merged = props is null ? new Dictionary<string, object>() : new Dictionary<string, object>(props);
            merged[FieldIdProp] = id;
            Props = merged;
        }
        else
        {
            Props = props ?? NoProps;
        }
    }

    /// <summary>A JSON null, the usual default of an optional (null-first union) field.</summary>
    public static JsonElement NullDefault { get; } = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>The field's name.</summary>
    public string Name { get; }

    /// <summary>The field's type.</summary>
    public AvroSchema Schema { get; }

    /// <summary>The default value as JSON, or null when the field has none (distinct from a JSON null default).</summary>
    public JsonElement? Default { get; }

    /// <summary>The field's documentation, if any.</summary>
    public string? Doc { get; }

    /// <summary>Custom properties of the field, such as "field-id".</summary>
    public IReadOnlyDictionary<string, object> Props { get; }

    /// <summary>The Iceberg field id, if the field carries one.</summary>
    public int? FieldId => AvroSchema.GetIntProp(Props, FieldIdProp);

    internal void WriteJson(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace)
    {
        writer.WriteStartObject();
        writer.WriteString("name", Name);
        writer.WritePropertyName("type");
        Schema.WriteJson(writer, written, enclosingNamespace);
        if (Doc is not null)
        {
            writer.WriteString("doc", Doc);
        }

        if (Default is JsonElement d)
        {
            writer.WritePropertyName("default");
            d.WriteTo(writer);
        }

        AvroSchema.WriteProps(writer, Props);
        writer.WriteEndObject();
    }
}

/// <summary>An Avro array; Iceberg puts its "element-id" on it as a custom property.</summary>
public sealed class AvroArraySchema : AvroSchema
{
    /// <summary>The Iceberg property that carries an array element's id.</summary>
    public const string ElementIdProp = "element-id";

    /// <summary>Creates an array of <paramref name="items"/>.</summary>
    public AvroArraySchema(AvroSchema items, IReadOnlyDictionary<string, object>? props = null)
        : base(AvroType.Array, props)
    {
        ArgumentNullException.ThrowIfNull(items);
        Items = items;
    }

    /// <summary>Creates an array of <paramref name="items"/> with Iceberg's "element-id".</summary>
    public AvroArraySchema(AvroSchema items, int elementId)
        : this(items, new Dictionary<string, object> { [ElementIdProp] = elementId })
    {
    }

    /// <summary>The element type.</summary>
    public AvroSchema Items { get; }

    /// <summary>The Iceberg element id, if present.</summary>
    public int? ElementId => GetIntProp(ElementIdProp);

    internal override void WriteJson(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "array");
        writer.WritePropertyName("items");
        Items.WriteJson(writer, written, enclosingNamespace);
        WriteProps(writer);
        writer.WriteEndObject();
    }
}

/// <summary>An Avro map with string keys; Iceberg puts "key-id" and "value-id" on it as custom properties.</summary>
public sealed class AvroMapSchema : AvroSchema
{
    /// <summary>Creates a map whose values are <paramref name="values"/>.</summary>
    public AvroMapSchema(AvroSchema values, IReadOnlyDictionary<string, object>? props = null)
        : base(AvroType.Map, props)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = values;
    }

    /// <summary>The value type.</summary>
    public AvroSchema Values { get; }

    internal override void WriteJson(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "map");
        writer.WritePropertyName("values");
        Values.WriteJson(writer, written, enclosingNamespace);
        WriteProps(writer);
        writer.WriteEndObject();
    }
}

/// <summary>An Avro union. A value is written as the index of its branch followed by the value itself.</summary>
public sealed class AvroUnionSchema : AvroSchema
{
    /// <summary>Creates a union of <paramref name="branches"/>; unions may not directly hold unions.</summary>
    public AvroUnionSchema(IEnumerable<AvroSchema> branches)
        : base(AvroType.Union, null)
    {
        ArgumentNullException.ThrowIfNull(branches);
        Branches = [.. branches];
        if (Branches.Count == 0)
        {
            throw new ArgumentException("a union needs at least one branch", nameof(branches));
        }

        NullIndex = -1;
        for (var i = 0; i < Branches.Count; i++)
        {
            if (Branches[i].Type == AvroType.Union)
            {
                throw new ArgumentException("a union may not directly contain a union", nameof(branches));
            }

            if (Branches[i].Type == AvroType.Null && NullIndex < 0)
            {
                NullIndex = i;
            }
        }
    }

    /// <summary>The branches in order; the order fixes the index written before each value.</summary>
    public IReadOnlyList<AvroSchema> Branches { get; }

    /// <summary>The index of the null branch, or -1 when there is none.</summary>
    public int NullIndex { get; }

    internal override void WriteJson(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace)
    {
        writer.WriteStartArray();
        foreach (var branch in Branches)
        {
            branch.WriteJson(writer, written, enclosingNamespace);
        }

        writer.WriteEndArray();
    }
}

/// <summary>An Avro fixed: a named type of exactly <see cref="Size"/> bytes, written with no length prefix.</summary>
public sealed class AvroFixedSchema : AvroNamedSchema
{
    /// <summary>Creates a fixed type of <paramref name="size"/> bytes.</summary>
    public AvroFixedSchema(string name, int size, string? ns = null, IReadOnlyDictionary<string, object>? props = null)
        : base(AvroType.Fixed, name, ns, props)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Size = size;
    }

    /// <summary>The exact length in bytes of every value.</summary>
    public int Size { get; }

    internal override void WriteJson(Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace)
    {
        if (!WriteHeader(writer, written, enclosingNamespace, "fixed"))
        {
            return;
        }

        writer.WriteNumber("size", Size);
        WriteProps(writer);
        writer.WriteEndObject();
    }
}
