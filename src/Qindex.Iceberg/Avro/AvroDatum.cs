using System.Collections;

namespace Qindex.Iceberg.Avro;

/// <summary>
/// Encodes and decodes single values against a schema, using the value model described on
/// <see cref="AvroRecord"/>. The container writer and reader call these once per record.
/// </summary>
public static class AvroDatum
{
    /// <summary>Encodes <paramref name="value"/> as <paramref name="schema"/>; a value of the wrong shape raises <see cref="AvroFormatException"/>.</summary>
    public static void Write(AvroBinaryWriter writer, AvroSchema schema, object? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(schema);
        switch (schema.Type)
        {
            case AvroType.Null:
                if (value is not null)
                {
                    throw Mismatch(schema, value);
                }

                break;
            case AvroType.Boolean:
                writer.WriteBoolean(value is bool b ? b : throw Mismatch(schema, value));
                break;
            case AvroType.Int:
                writer.WriteInt(value switch
                {
                    int i => i,
                    short s => s,
                    ushort us => us,
                    byte by => by,
                    sbyte sb => sb,
                    _ => throw Mismatch(schema, value),
                });
                break;
            case AvroType.Long:
                writer.WriteLong(value switch
                {
                    long l => l,
                    int i => i,
                    uint ui => ui,
                    short s => s,
                    ushort us => us,
                    byte by => by,
                    sbyte sb => sb,
                    _ => throw Mismatch(schema, value),
                });
                break;
            case AvroType.Float:
                writer.WriteFloat(value switch
                {
                    float f => f,
                    int i => i,
                    long l => l,
                    _ => throw Mismatch(schema, value),
                });
                break;
            case AvroType.Double:
                writer.WriteDouble(value switch
                {
                    double d => d,
                    float f => f,
                    int i => i,
                    long l => l,
                    _ => throw Mismatch(schema, value),
                });
                break;
            case AvroType.Bytes:
                switch (value)
                {
                    case byte[] bytes:
                        writer.WriteBytes(bytes);
                        break;
                    case ReadOnlyMemory<byte> memory:
                        writer.WriteBytes(memory.Span);
                        break;
                    default:
                        throw Mismatch(schema, value);
                }

                break;
            case AvroType.String:
                writer.WriteString(value as string ?? throw Mismatch(schema, value));
                break;
            case AvroType.Fixed:
                {
                    var size = ((AvroFixedSchema)schema).Size;
                    if (value is not byte[] bytes || bytes.Length != size)
                    {
                        throw new AvroFormatException($"fixed {((AvroFixedSchema)schema).FullName} needs a byte[] of exactly {size} bytes, got {Describe(value)}");
                    }

                    writer.WriteFixed(bytes);
                    break;
                }

            case AvroType.Record:
                WriteRecord(writer, (AvroRecordSchema)schema, value);
                break;
            case AvroType.Array:
                WriteArray(writer, (AvroArraySchema)schema, value);
                break;
            case AvroType.Map:
                WriteMap(writer, (AvroMapSchema)schema, value);
                break;
            case AvroType.Union:
                {
                    var union = (AvroUnionSchema)schema;
                    var index = SelectBranch(union, value);
                    writer.WriteInt(index);
                    Write(writer, union.Branches[index], value);
                    break;
                }

            default:
                throw new AvroFormatException($"unsupported schema type {schema.Type}");
        }
    }

    /// <summary>Decodes one value of <paramref name="schema"/>.</summary>
    public static object? Read(AvroBinaryReader reader, AvroSchema schema)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(schema);
        switch (schema.Type)
        {
            case AvroType.Null:
                return null;
            case AvroType.Boolean:
                // Boxed bools are cached by the runtime only for some paths, so reuse two boxes.
                return reader.ReadBoolean() ? BoxedTrue : BoxedFalse;
            case AvroType.Int:
                return reader.ReadInt();
            case AvroType.Long:
                return reader.ReadLong();
            case AvroType.Float:
                return reader.ReadFloat();
            case AvroType.Double:
                return reader.ReadDouble();
            case AvroType.Bytes:
                return reader.ReadBytes();
            case AvroType.String:
                return reader.ReadString();
            case AvroType.Fixed:
                return reader.ReadFixed(((AvroFixedSchema)schema).Size);
            case AvroType.Record:
                {
                    var record = (AvroRecordSchema)schema;
                    var fields = record.Fields;
                    var values = new object?[fields.Count];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = Read(reader, fields[i].Schema);
                    }

                    return new AvroRecord(record, values);
                }

            case AvroType.Array:
                {
                    var items = ((AvroArraySchema)schema).Items;
                    var list = new List<object?>();
                    for (var count = ReadBlockCount(reader); count != 0; count = ReadBlockCount(reader))
                    {
                        // Capped by the bytes left so a corrupt count cannot force a huge allocation.
                        list.EnsureCapacity(list.Count + (int)Math.Min(count, reader.Remaining));
                        for (long i = 0; i < count; i++)
                        {
                            list.Add(Read(reader, items));
                        }
                    }

                    return list;
                }

            case AvroType.Map:
                {
                    var values = ((AvroMapSchema)schema).Values;
                    var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                    for (var count = ReadBlockCount(reader); count != 0; count = ReadBlockCount(reader))
                    {
                        for (long i = 0; i < count; i++)
                        {
                            var key = reader.ReadString();
                            map[key] = Read(reader, values);
                        }
                    }

                    return map;
                }

            case AvroType.Union:
                {
                    var branches = ((AvroUnionSchema)schema).Branches;
                    var index = reader.ReadLong();
                    if (index < 0 || index >= branches.Count)
                    {
                        throw new AvroFormatException($"union branch index {index} out of range (union has {branches.Count} branches)");
                    }

                    return Read(reader, branches[(int)index]);
                }

            default:
                throw new AvroFormatException($"unsupported schema type {schema.Type}");
        }
    }

    /// <summary>
    /// Picks the union branch for <paramref name="value"/>: null goes to the null branch; otherwise the
    /// first branch whose type is exactly the value's, then the first that can take it by promotion
    /// (an int into a long, a float into a double).
    /// </summary>
    public static int SelectBranch(AvroUnionSchema union, object? value)
    {
        ArgumentNullException.ThrowIfNull(union);
        if (value is null)
        {
            return union.NullIndex >= 0
                ? union.NullIndex
                : throw new AvroFormatException("null value for a union with no null branch");
        }

        var branches = union.Branches;
        for (var i = 0; i < branches.Count; i++)
        {
            if (MatchesExactly(branches[i], value))
            {
                return i;
            }
        }

        for (var i = 0; i < branches.Count; i++)
        {
            if (MatchesByPromotion(branches[i].Type, value))
            {
                return i;
            }
        }

        throw new AvroFormatException($"no branch of union {union} accepts a value of type {value.GetType()}");
    }

    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;

    private static bool MatchesExactly(AvroSchema schema, object value) => schema.Type switch
    {
        AvroType.Boolean => value is bool,
        AvroType.Int => value is int,
        AvroType.Long => value is long,
        AvroType.Float => value is float,
        AvroType.Double => value is double,
        AvroType.Bytes => value is byte[] or ReadOnlyMemory<byte>,
        AvroType.String => value is string,
        AvroType.Fixed => value is byte[] bytes && bytes.Length == ((AvroFixedSchema)schema).Size,
        AvroType.Record => value is AvroRecord record
            && (ReferenceEquals(record.Schema, schema) || record.Schema.FullName == ((AvroRecordSchema)schema).FullName),
        AvroType.Array => value is IList and not byte[],
        AvroType.Map => value is IReadOnlyDictionary<string, object?> or IDictionary,
        _ => false,
    };

    private static bool MatchesByPromotion(AvroType type, object value) => type switch
    {
        AvroType.Int => value is short or ushort or byte or sbyte,
        AvroType.Long => value is int or uint or short or ushort or byte or sbyte,
        AvroType.Float => value is int or long,
        AvroType.Double => value is float or int or long,
        _ => false,
    };

    private static void WriteRecord(AvroBinaryWriter writer, AvroRecordSchema schema, object? value)
    {
        var fields = schema.Fields;
        object?[] values;
        switch (value)
        {
            case AvroRecord record:
                values = record.Values;
                break;
            case object?[] array:
                values = array;
                break;
            default:
                throw Mismatch(schema, value);
        }

        if (values.Length != fields.Count)
        {
            throw new AvroFormatException($"record {schema.FullName} has {fields.Count} fields, value has {values.Length}");
        }

        for (var i = 0; i < values.Length; i++)
        {
            try
            {
                Write(writer, fields[i].Schema, values[i]);
            }
            catch (AvroFormatException e) when (!e.Message.StartsWith("field ", StringComparison.Ordinal))
            {
                // Name the innermost failing field once; outer records leave the message alone.
                throw new AvroFormatException($"field '{fields[i].Name}' of record {schema.FullName}: {e.Message}", e);
            }
        }
    }

    private static void WriteArray(AvroBinaryWriter writer, AvroArraySchema schema, object? value)
    {
        var items = schema.Items;
        if (value is IList list and not byte[])
        {
            if (list.Count > 0)
            {
                writer.WriteLong(list.Count);
                for (var i = 0; i < list.Count; i++)
                {
                    Write(writer, items, list[i]);
                }
            }

            writer.WriteLong(0);
            return;
        }

        if (value is IEnumerable enumerable and not string and not byte[])
        {
            // The block count comes first, so an enumerable of unknown length is gathered first.
            var gathered = new List<object?>();
            foreach (var item in enumerable)
            {
                gathered.Add(item);
            }

            WriteArray(writer, schema, gathered);
            return;
        }

        throw Mismatch(schema, value);
    }

    private static void WriteMap(AvroBinaryWriter writer, AvroMapSchema schema, object? value)
    {
        var values = schema.Values;
        switch (value)
        {
            case IReadOnlyDictionary<string, object?> map:
                if (map.Count > 0)
                {
                    writer.WriteLong(map.Count);
                    foreach (var (key, item) in map)
                    {
                        writer.WriteString(key);
                        Write(writer, values, item);
                    }
                }

                break;
            case IDictionary dictionary:
                if (dictionary.Count > 0)
                {
                    writer.WriteLong(dictionary.Count);
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        writer.WriteString(entry.Key as string ?? throw new AvroFormatException($"map keys must be strings, got {Describe(entry.Key)}"));
                        Write(writer, values, entry.Value);
                    }
                }

                break;
            default:
                throw Mismatch(schema, value);
        }

        writer.WriteLong(0);
    }

    /// <summary>Reads an array or map block count; a negative count is followed by the block's byte size, which is not needed here.</summary>
    private static long ReadBlockCount(AvroBinaryReader reader)
    {
        var count = reader.ReadLong();
        if (count < 0)
        {
            if (count == long.MinValue)
            {
                throw new AvroFormatException("invalid block count");
            }

            count = -count;
            var size = reader.ReadLong();
            if (size < 0)
            {
                throw new AvroFormatException($"negative block byte size {size}");
            }
        }

        // Each item takes at least one byte unless it is null-typed; a larger count is corruption
        // that would otherwise make the caller allocate without bound.
        if (count > int.MaxValue)
        {
            throw new AvroFormatException($"block count {count} too large");
        }

        return count;
    }

    private static AvroFormatException Mismatch(AvroSchema schema, object? value) =>
        new($"value {Describe(value)} does not fit schema type {schema.Type}");

    private static string Describe(object? value) => value is null ? "null" : value.GetType().Name;
}
