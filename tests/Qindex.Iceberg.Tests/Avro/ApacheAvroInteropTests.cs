using System.Collections;
using Avro.File;
using Avro.Generic;
using Qindex.Iceberg.Avro;

namespace Qindex.Iceberg.Tests.Avro;

/// <summary>Proves our files are readable by an independent implementation (Apache.Avro), and theirs by us.</summary>
public class ApacheAvroInteropTests
{
    [Theory]
    [InlineData(AvroCodec.Null)]
    [InlineData(AvroCodec.Deflate)]
    public void Apache_reader_reads_our_file(AvroCodec codec)
    {
        const int count = 1500;
        using var stream = new MemoryStream();
        var random = new Random(3);
        var expected = new List<AvroRecord>();
        using (var writer = new AvroContainerWriter(stream, AvroTestData.Everything, new AvroContainerWriterOptions
        {
            Codec = codec,
            BlockRecordCount = 400,
            LeaveOpen = true,
            Metadata = new Dictionary<string, string> { ["format-version"] = "2", ["content"] = "data" },
        }))
        {
            for (var i = 0; i < count; i++)
            {
                var record = AvroTestData.Make(random, i);
                expected.Add(record);
                writer.Append(record);
            }
        }

        stream.Position = 0;
        using var reader = DataFileReader<GenericRecord>.OpenReader(stream);
        Assert.Equal("2", reader.GetMetaString("format-version"));
        Assert.Equal("data", reader.GetMetaString("content"));
        var n = 0;
        while (reader.HasNext())
        {
            var record = reader.Next();
            AvroTestData.AssertDeepEqual(expected[n], FromApache(record, AvroTestData.Everything), "record" + n);
            n++;
        }

        Assert.Equal(count, n);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void We_read_an_apache_written_file(bool deflate)
    {
        var apacheSchema = (global::Avro.RecordSchema)global::Avro.Schema.Parse(AvroTestData.Everything.ToJson());
        var random = new Random(5);
        var expected = new List<AvroRecord>();
        using var stream = new MemoryStream();
        var datumWriter = new GenericDatumWriter<GenericRecord>(apacheSchema);
        var codec = Codec.CreateCodec(deflate ? Codec.Type.Deflate : Codec.Type.Null);
        using (var writer = DataFileWriter<GenericRecord>.OpenWriter(datumWriter, stream, codec, leaveOpen: true))
        {
            writer.SetSyncInterval(2000);
            for (var i = 0; i < 800; i++)
            {
                var record = AvroTestData.Make(random, i);
                expected.Add(record);
                writer.Append((GenericRecord)ToApache(record, apacheSchema)!);
            }
        }

        stream.Position = 0;
        using var reader = AvroContainerReader.Open(stream);
        Assert.Equal(deflate ? AvroCodec.Deflate : AvroCodec.Null, reader.Codec);
        var n = 0;
        foreach (var record in reader.ReadRecords())
        {
            AvroTestData.AssertDeepEqual(expected[n], record, "record" + n);
            n++;
        }

        Assert.Equal(expected.Count, n);
    }

    /// <summary>Converts an Apache generic value into our value model so the two can be compared.</summary>
    private static object? FromApache(object? value, AvroSchema schema)
    {
        switch (schema)
        {
            case AvroRecordSchema record:
                {
                    var generic = Assert.IsType<GenericRecord>(value);
                    var values = new object?[record.Fields.Count];
                    for (var i = 0; i < values.Length; i++)
                    {
                        Assert.True(generic.TryGetValue(record.Fields[i].Name, out var fieldValue));
                        values[i] = FromApache(fieldValue, record.Fields[i].Schema);
                    }

                    return new AvroRecord(record, values);
                }

            case AvroFixedSchema:
                return Assert.IsType<GenericFixed>(value).Value;
            case AvroArraySchema array:
                return ((IEnumerable)value!).Cast<object?>().Select(item => FromApache(item, array.Items)).ToList();
            case AvroMapSchema map:
                return ((IDictionary<string, object?>)value!).ToDictionary(e => e.Key, e => FromApache(e.Value, map.Values));
            case AvroUnionSchema union:
                return value is null ? null : FromApache(value, union.Branches[AvroDatum.SelectBranch(union, Normalize(value))]);
            default:
                return value;
        }
    }

    /// <summary>Maps an Apache value to a CLR value our union branch selection understands.</summary>
    private static object? Normalize(object value) => value switch
    {
        GenericRecord record => new AvroRecord(
            (AvroRecordSchema)AvroTestData.Everything.Fields.Select(f => f.Schema)
                .Concat([AvroTestData.Point, AvroTestData.Pair]).OfType<AvroRecordSchema>()
                .First(s => s.FullName == record.Schema.Fullname)),
        _ => value,
    };

    /// <summary>Converts our value model into Apache generic values for its writer.</summary>
    private static object? ToApache(object? value, global::Avro.Schema schema)
    {
        switch (schema)
        {
            case global::Avro.RecordSchema recordSchema:
                {
                    var record = (AvroRecord)value!;
                    var generic = new GenericRecord(recordSchema);
                    foreach (var field in recordSchema.Fields)
                    {
                        generic.Add(field.Name, ToApache(record[field.Name], field.Schema));
                    }

                    return generic;
                }

            case global::Avro.FixedSchema fixedSchema:
                return new GenericFixed(fixedSchema, (byte[])value!);
            case global::Avro.ArraySchema arraySchema:
                return ((IList)value!).Cast<object?>().Select(item => ToApache(item, arraySchema.ItemSchema)).ToArray();
            case global::Avro.MapSchema mapSchema:
                return ((IDictionary<string, object?>)value!).ToDictionary(e => e.Key, e => ToApache(e.Value, mapSchema.ValueSchema));
            case global::Avro.UnionSchema unionSchema:
                {
                    if (value is null)
                    {
                        return null;
                    }

                    var index = unionSchema.Schemas.ToList().FindIndex(branch => Accepts(branch, value));
                    return ToApache(value, unionSchema.Schemas[index]);
                }

            default:
                return value;
        }
    }

    private static bool Accepts(global::Avro.Schema branch, object value) => branch.Tag switch
    {
        global::Avro.Schema.Type.Boolean => value is bool,
        global::Avro.Schema.Type.Int => value is int,
        global::Avro.Schema.Type.Long => value is long,
        global::Avro.Schema.Type.Float => value is float,
        global::Avro.Schema.Type.Double => value is double,
        global::Avro.Schema.Type.String => value is string,
        global::Avro.Schema.Type.Bytes => value is byte[],
        global::Avro.Schema.Type.Record => value is AvroRecord r && r.Schema.FullName == ((global::Avro.RecordSchema)branch).Fullname,
        _ => false,
    };
}
