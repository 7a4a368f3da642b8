using System.Collections;
using Qindex.Iceberg.Avro;

namespace Qindex.Iceberg.Tests.Avro;

/// <summary>A schema that covers every supported type, random values for it, and a deep comparer.</summary>
internal static class AvroTestData
{
    public static readonly AvroRecordSchema Point = new("r102",
    [
        new AvroField("x", AvroSchema.Int, fieldId: 201),
        new AvroField("label", AvroSchema.Optional(AvroSchema.String), fieldId: 202, defaultValue: AvroField.NullDefault),
    ]);

    public static readonly AvroRecordSchema Pair = new("k117_v118",
    [
        new AvroField("key", AvroSchema.String, fieldId: 117),
        new AvroField("value", AvroSchema.Long, fieldId: 118),
    ]);

    public static readonly AvroFixedSchema Uuid = new("uuid_fixed", 16);

    public static readonly AvroRecordSchema Everything = new("everything",
    [
        new AvroField("n", AvroSchema.Null, fieldId: 1),
        new AvroField("b", AvroSchema.Boolean, fieldId: 2),
        new AvroField("i", AvroSchema.Int, fieldId: 3),
        new AvroField("l", AvroSchema.Long, fieldId: 4),
        new AvroField("f", AvroSchema.Float, fieldId: 5),
        new AvroField("d", AvroSchema.Double, fieldId: 6),
        new AvroField("s", AvroSchema.String, fieldId: 7),
        new AvroField("by", AvroSchema.Bytes, fieldId: 8),
        new AvroField("fx", Uuid, fieldId: 9),
        new AvroField("opt_long", AvroSchema.Optional(AvroSchema.Long), fieldId: 10, defaultValue: AvroField.NullDefault),
        new AvroField("point", Point, fieldId: 11),
        new AvroField("opt_point", AvroSchema.Optional(Point), fieldId: 12, defaultValue: AvroField.NullDefault),
        new AvroField("ints", new AvroArraySchema(AvroSchema.Int, elementId: 13), fieldId: 14),
        new AvroField("pairs", new AvroArraySchema(Pair, elementId: 15), fieldId: 16),
        new AvroField("map", new AvroMapSchema(AvroSchema.Optional(AvroSchema.Double)), fieldId: 17),
        new AvroField("multi", new AvroUnionSchema([AvroSchema.Null, AvroSchema.Int, AvroSchema.String, AvroSchema.Bytes]), fieldId: 18),
        new AvroField("opt_bytes", AvroSchema.Optional(AvroSchema.Bytes), fieldId: 19, defaultValue: AvroField.NullDefault),
    ]);

    public static AvroRecord Make(Random random, int index)
    {
        var bytes = new byte[random.Next(0, 40)];
        random.NextBytes(bytes);
        var uuid = new byte[16];
        random.NextBytes(uuid);
        var ints = new List<object?>();
        for (var k = random.Next(0, 5); k > 0; k--)
        {
            ints.Add(random.Next(int.MinValue, int.MaxValue));
        }

        var pairs = new List<object?>();
        for (var k = random.Next(0, 4); k > 0; k--)
        {
            pairs.Add(new AvroRecord(Pair, ["k" + random.Next(), random.NextInt64(long.MinValue, long.MaxValue)]));
        }

        var map = new Dictionary<string, object?>();
        for (var k = random.Next(0, 4); k > 0; k--)
        {
            map["m" + k] = k % 2 == 0 ? null : random.NextDouble() * 1e6;
        }

        object? multi = (index % 4) switch
        {
            0 => null,
            1 => random.Next(),
            2 => "multi" + index + "\u00e9\u4e2d",
            _ => bytes,
        };

        return new AvroRecord(Everything,
        [
            null,
            index % 2 == 0,
            index * (index % 3 == 0 ? -1 : 1),
            (long)index * 1_000_000_007L * (index % 2 == 0 ? -1 : 1),
            (float)(random.NextDouble() * 100),
            random.NextDouble() * -1e10,
            "s" + index + new string('x', random.Next(0, 100)),
            bytes,
            uuid,
            index % 3 == 0 ? null : (object)(long)index,
            new AvroRecord(Point, [index, index % 2 == 0 ? null : "p" + index]),
            index % 2 == 0 ? null : new AvroRecord(Point, [-index, "q"]),
            ints,
            pairs,
            map,
            multi,
            index % 5 == 0 ? null : new byte[] { 1, 2, (byte)index },
        ]);
    }

    /// <summary>Compares two values of the model structurally, naming the path of the first difference.</summary>
    public static void AssertDeepEqual(object? expected, object? actual, string path = "$")
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: expected null, got {actual}");
                break;
            case AvroRecord record:
                {
                    var other = Assert.IsType<AvroRecord>(actual);
                    Assert.Equal(record.Schema.FullName, other.Schema.FullName);
                    Assert.Equal(record.Values.Length, other.Values.Length);
                    for (var i = 0; i < record.Values.Length; i++)
                    {
                        AssertDeepEqual(record.Values[i], other.Values[i], path + "." + record.Schema.Fields[i].Name);
                    }

                    break;
                }

            case byte[] bytes:
                Assert.Equal(bytes, Assert.IsType<byte[]>(actual));
                break;
            case IDictionary dictionary:
                {
                    var other = Assert.IsAssignableFrom<IDictionary>(actual);
                    Assert.Equal(dictionary.Count, other.Count);
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        Assert.True(other.Contains(entry.Key), $"{path}: missing key {entry.Key}");
                        AssertDeepEqual(entry.Value, other[entry.Key], path + "[" + entry.Key + "]");
                    }

                    break;
                }

            case IList list:
                {
                    var other = Assert.IsAssignableFrom<IList>(actual);
                    Assert.Equal(list.Count, other.Count);
                    for (var i = 0; i < list.Count; i++)
                    {
                        AssertDeepEqual(list[i], other[i], path + "[" + i + "]");
                    }

                    break;
                }

            default:
                Assert.True(Equals(expected, actual), $"{path}: expected {expected} ({expected.GetType().Name}), got {actual} ({actual?.GetType().Name})");
                break;
        }
    }
}
