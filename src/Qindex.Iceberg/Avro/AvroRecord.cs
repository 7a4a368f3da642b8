namespace Qindex.Iceberg.Avro;

/// <summary>
/// A record value: its schema and one slot per field, in field order. Values follow the model of
/// this namespace: null, bool, int, long, float, double, string, byte[] (bytes and fixed),
/// <see cref="AvroRecord"/>, a list for arrays and a string-keyed dictionary for maps.
/// </summary>
public sealed class AvroRecord
{
    /// <summary>Creates a record with every field null.</summary>
    public AvroRecord(AvroRecordSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Schema = schema;
        Values = new object?[schema.Fields.Count];
    }

    /// <summary>Creates a record over <paramref name="values"/>, which must have one slot per field; the array is kept, not copied.</summary>
    public AvroRecord(AvroRecordSchema schema, object?[] values)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != schema.Fields.Count)
        {
            throw new ArgumentException($"record {schema.FullName} has {schema.Fields.Count} fields, got {values.Length} values", nameof(values));
        }

        Schema = schema;
        Values = values;
    }

    /// <summary>The record's schema.</summary>
    public AvroRecordSchema Schema { get; }

    /// <summary>The field values in field order; writable so a caller can refill one record per row.</summary>
    public object?[] Values { get; }

    /// <summary>The value at field position <paramref name="index"/>.</summary>
    public object? this[int index]
    {
        get => Values[index];
        set => Values[index] = value;
    }

    /// <summary>The value of field <paramref name="name"/>; throws when the record has no such field.</summary>
    public object? this[string name]
    {
        get => Values[PositionOf(name)];
        set => Values[PositionOf(name)] = value;
    }

    private int PositionOf(string name)
    {
        var i = Schema.IndexOf(name);
        return i >= 0 ? i : throw new KeyNotFoundException($"record {Schema.FullName} has no field '{name}'");
    }
}
