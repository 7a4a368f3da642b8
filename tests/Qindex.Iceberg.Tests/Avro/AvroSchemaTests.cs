using System.Text.Json;
using Qindex.Iceberg.Avro;

namespace Qindex.Iceberg.Tests.Avro;

public class AvroSchemaTests
{
    [Fact]
    public void Primitives_serialize_as_bare_names()
    {
        Assert.Equal("\"long\"", AvroSchema.Long.ToJson());
        Assert.Equal("[\"null\",\"string\"]", AvroSchema.Optional(AvroSchema.String).ToJson());
    }

    [Fact]
    public void Custom_properties_are_written()
    {
        using var document = JsonDocument.Parse(AvroTestData.Everything.ToJson());
        var root = document.RootElement;
        Assert.Equal("record", root.GetProperty("type").GetString());
        Assert.Equal("everything", root.GetProperty("name").GetString());
        var fields = root.GetProperty("fields");
        Assert.Equal(AvroTestData.Everything.Fields.Count, fields.GetArrayLength());
        Assert.Equal(3, fields[2].GetProperty("field-id").GetInt32());
        Assert.Equal(JsonValueKind.Null, fields[9].GetProperty("default").ValueKind);

        var ints = fields[12];
        Assert.Equal("ints", ints.GetProperty("name").GetString());
        Assert.Equal(14, ints.GetProperty("field-id").GetInt32());
        Assert.Equal(13, ints.GetProperty("type").GetProperty("element-id").GetInt32());

        // The nested record's own fields keep their ids too.
        var point = fields[10].GetProperty("type");
        Assert.Equal("r102", point.GetProperty("name").GetString());
        Assert.Equal(201, point.GetProperty("fields")[0].GetProperty("field-id").GetInt32());
    }

    [Fact]
    public void Named_type_is_defined_once_then_referenced()
    {
        using var document = JsonDocument.Parse(AvroTestData.Everything.ToJson());
        var fields = document.RootElement.GetProperty("fields");

        // "point" defines r102; "opt_point" must refer to it by name.
        Assert.Equal(JsonValueKind.Object, fields[10].GetProperty("type").ValueKind);
        Assert.Equal("r102", fields[11].GetProperty("type")[1].GetString());
    }

    [Fact]
    public void Parse_round_trips_the_schema_with_its_properties()
    {
        var json = AvroTestData.Everything.ToJson();
        var parsed = Assert.IsType<AvroRecordSchema>(AvroSchema.Parse(json));
        Assert.Equal(json, parsed.ToJson());
        Assert.Equal(3, parsed.GetField("i").FieldId);
        Assert.Equal(13, Assert.IsType<AvroArraySchema>(parsed.GetField("ints").Schema).ElementId);
        var optPoint = Assert.IsType<AvroUnionSchema>(parsed.GetField("opt_point").Schema);
        Assert.Same(parsed.GetField("point").Schema, optPoint.Branches[1]);
        Assert.Equal(16, Assert.IsType<AvroFixedSchema>(parsed.GetField("fx").Schema).Size);
    }

    [Fact]
    public void Parse_handles_iceberg_style_manifest_schema()
    {
        const string json = """
            {"type":"record","name":"manifest_entry","fields":[
              {"name":"status","type":"int","field-id":0},
              {"name":"snapshot_id","type":["null","long"],"default":null,"field-id":1},
              {"name":"data_file","type":{"type":"record","name":"r2","fields":[
                {"name":"file_path","type":"string","doc":"Location URI with FS scheme","field-id":100},
                {"name":"column_sizes","type":["null",{"type":"array","items":{"type":"record","name":"k117_v118",
                  "fields":[{"name":"key","type":"int","field-id":117},{"name":"value","type":"long","field-id":118}]},
                  "logicalType":"map"}],"default":null,"field-id":108},
                {"name":"props","type":{"type":"map","values":"string","key-id":300,"value-id":301},"field-id":109},
                {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros","adjust-to-utc":true},"field-id":110}
              ]},"field-id":2}
            ]}
            """;
        var schema = Assert.IsType<AvroRecordSchema>(AvroSchema.Parse(json));
        Assert.Equal(0, schema.GetField("status").FieldId);
        var dataFile = Assert.IsType<AvroRecordSchema>(schema.GetField("data_file").Schema);
        Assert.Equal("Location URI with FS scheme", dataFile.GetField("file_path").Doc);
        var sizes = Assert.IsType<AvroArraySchema>(Assert.IsType<AvroUnionSchema>(dataFile.GetField("column_sizes").Schema).Branches[1]);
        Assert.Equal("map", sizes.Props["logicalType"]);
        var map = Assert.IsType<AvroMapSchema>(dataFile.GetField("props").Schema);
        Assert.Equal(300, map.GetIntProp("key-id"));
        var ts = Assert.IsType<AvroPrimitiveSchema>(dataFile.GetField("ts").Schema);
        Assert.Equal(AvroType.Long, ts.Type);
        Assert.Equal(true, ts.Props["adjust-to-utc"]);

        // Re-serializing keeps everything the parser kept.
        using var again = JsonDocument.Parse(schema.ToJson());
        var tsAgain = again.RootElement.GetProperty("fields")[2].GetProperty("type").GetProperty("fields")[3];
        Assert.Equal("timestamp-micros", tsAgain.GetProperty("type").GetProperty("logicalType").GetString());
        Assert.Equal(110, tsAgain.GetProperty("field-id").GetInt32());
    }

    [Fact]
    public void Parse_resolves_namespaces_and_self_reference()
    {
        const string json = """
            {"type":"record","name":"Node","namespace":"a.b","fields":[
              {"name":"value","type":"int"},
              {"name":"next","type":["null","Node"]},
              {"name":"other","type":["null","a.b.Node"]}
            ]}
            """;
        var schema = Assert.IsType<AvroRecordSchema>(AvroSchema.Parse(json));
        Assert.Equal("a.b.Node", schema.FullName);
        Assert.Same(schema, ((AvroUnionSchema)schema.GetField("next").Schema).Branches[1]);
        Assert.Same(schema, ((AvroUnionSchema)schema.GetField("other").Schema).Branches[1]);

        // A recursive value round trips through the binary encoding.
        var value = new AvroRecord(schema, [1, new AvroRecord(schema, [2, null, null]), null]);
        var writer = new AvroBinaryWriter();
        AvroDatum.Write(writer, schema, value);
        AvroTestData.AssertDeepEqual(value, AvroDatum.Read(new AvroBinaryReader(writer.WrittenSpan.ToArray()), schema));
        Assert.Equal(json.Replace("\n", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal)
            .Replace("\"a.b.Node\"", "\"Node\"", StringComparison.Ordinal), schema.ToJson());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("\"nope\"")]
    [InlineData("{\"type\":\"record\",\"name\":\"r\"}")]
    [InlineData("{\"type\":\"fixed\",\"name\":\"f\"}")]
    [InlineData("{\"type\":\"array\"}")]
    [InlineData("[\"null\",[\"int\"]]")]
    [InlineData("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}")]
    public void Parse_rejects_bad_schemas(string json)
    {
        Assert.Throws<AvroFormatException>(() => AvroSchema.Parse(json));
    }
}
