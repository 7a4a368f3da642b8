using Qindex.Iceberg.Avro;

namespace Qindex.Iceberg.Tests.Avro;

public class AvroEncodingTests
{
    [Theory]
    [InlineData(0L, "00")]
    [InlineData(-1L, "01")]
    [InlineData(1L, "02")]
    [InlineData(-2L, "03")]
    [InlineData(2L, "04")]
    [InlineData(-64L, "7f")]
    [InlineData(64L, "8001")]
    [InlineData(-65L, "8101")]
    [InlineData(8191L, "fe7f")]
    [InlineData(8192L, "808001")]
    [InlineData(long.MaxValue, "feffffffffffffffff01")]
    [InlineData(long.MinValue, "ffffffffffffffffff01")]
    public void Long_is_zigzag_varint(long value, string hex)
    {
        var writer = new AvroBinaryWriter();
        writer.WriteLong(value);
        Assert.Equal(hex, Convert.ToHexStringLower(writer.WrittenSpan));

        var reader = new AvroBinaryReader(Convert.FromHexString(hex));
        Assert.Equal(value, reader.ReadLong());
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData(0, "00")]
    [InlineData(-1, "01")]
    [InlineData(1, "02")]
    [InlineData(-64, "7f")]
    [InlineData(64, "8001")]
    [InlineData(int.MaxValue, "feffffff0f")]
    [InlineData(int.MinValue, "ffffffff0f")]
    public void Int_is_zigzag_varint(int value, string hex)
    {
        var writer = new AvroBinaryWriter();
        writer.WriteInt(value);
        Assert.Equal(hex, Convert.ToHexStringLower(writer.WrittenSpan));
        Assert.Equal(value, new AvroBinaryReader(Convert.FromHexString(hex)).ReadInt());
    }

    [Fact]
    public void Primitives_match_the_spec_bytes()
    {
        var writer = new AvroBinaryWriter();
        writer.WriteBoolean(true);
        writer.WriteBoolean(false);
        writer.WriteFloat(1.0f);
        writer.WriteDouble(-2.0);
        writer.WriteString("foo");
        writer.WriteBytes([0xAB]);
        writer.WriteFixed([0x01, 0x02]);

        // true, false, 1.0f LE, -2.0 LE, "foo" = len 3 (06) 66 6f 6f, bytes len 1 (02) ab, fixed 01 02.
        Assert.Equal("0100" + "0000803f" + "00000000000000c0" + "06666f6f" + "02ab" + "0102", Convert.ToHexStringLower(writer.WrittenSpan));
    }

    [Fact]
    public void Long_and_non_ascii_strings_round_trip()
    {
        var writer = new AvroBinaryWriter(16);
        var strings = new[] { string.Empty, "a", new string('z', 21), new string('y', 22), "\u00e9\u4e2d\U0001F600", new string('\u4e2d', 5000) };
        foreach (var s in strings)
        {
            writer.WriteString(s);
        }

        var reader = new AvroBinaryReader(writer.WrittenSpan.ToArray());
        foreach (var s in strings)
        {
            Assert.Equal(s, reader.ReadString());
        }

        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Record_with_array_and_union_encodes_field_by_field()
    {
        var schema = new AvroRecordSchema("r",
        [
            new AvroField("a", AvroSchema.Long),
            new AvroField("b", new AvroArraySchema(AvroSchema.Int)),
            new AvroField("c", AvroSchema.Optional(AvroSchema.String)),
            new AvroField("d", AvroSchema.Optional(AvroSchema.String)),
            new AvroField("e", new AvroMapSchema(AvroSchema.Int)),
        ]);
        var writer = new AvroBinaryWriter();
        AvroDatum.Write(writer, schema, new AvroRecord(schema, [64L, new List<object?> { 1, -1 }, null, "x", new Dictionary<string, object?> { ["k"] = 2 }]));

        // a=64 (8001); b: block of 2 (04), 1 (02), -1 (01), end (00); c: branch 0 (00);
        // d: branch 1 (02) then "x" (02 78); e: block of 1 (02), "k" (02 6b), 2 (04), end (00).
        Assert.Equal("8001" + "04020100" + "00" + "020278" + "02026b0400", Convert.ToHexStringLower(writer.WrittenSpan));
    }

    [Fact]
    public void Reader_accepts_negative_block_counts_with_byte_size()
    {
        var schema = new AvroArraySchema(AvroSchema.Int);

        // Block of -2 items (03) with byte size 2 (04), items 1 (02) and 2 (04), then end (00).
        var value = AvroDatum.Read(new AvroBinaryReader(Convert.FromHexString("0304020400")), schema);
        Assert.Equal(new List<object?> { 1, 2 }, Assert.IsType<List<object?>>(value));

        var mapSchema = new AvroMapSchema(AvroSchema.Long);

        // Block of -1 (01), size 3 (06), "a" (02 61), 5 (0a), then end (00).
        var map = Assert.IsType<Dictionary<string, object?>>(AvroDatum.Read(new AvroBinaryReader(Convert.FromHexString("010602610a00")), mapSchema));
        Assert.Equal(5L, map["a"]);
    }

    [Fact]
    public void Union_picks_exact_branch_then_promotion()
    {
        var union = new AvroUnionSchema([AvroSchema.Null, AvroSchema.Long, AvroSchema.Int, AvroSchema.String]);
        Assert.Equal(0, AvroDatum.SelectBranch(union, null));
        Assert.Equal(1, AvroDatum.SelectBranch(union, 5L));
        Assert.Equal(2, AvroDatum.SelectBranch(union, 5));
        Assert.Equal(3, AvroDatum.SelectBranch(union, "s"));
        Assert.Equal(1, AvroDatum.SelectBranch(new AvroUnionSchema([AvroSchema.Null, AvroSchema.Long]), 5));
        Assert.Throws<AvroFormatException>(() => AvroDatum.SelectBranch(new AvroUnionSchema([AvroSchema.Long]), null));
        Assert.Throws<AvroFormatException>(() => AvroDatum.SelectBranch(union, 1.5));
    }

    [Fact]
    public void Wrong_value_type_names_the_field()
    {
        var schema = new AvroRecordSchema("r", [new AvroField("inner", new AvroRecordSchema("s", [new AvroField("x", AvroSchema.Int)]))]);
        var inner = (AvroRecordSchema)schema.Fields[0].Schema;
        var e = Assert.Throws<AvroFormatException>(() =>
            AvroDatum.Write(new AvroBinaryWriter(), schema, new AvroRecord(schema, [new AvroRecord(inner, ["not an int"])])));
        Assert.Contains("'x'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_values_raise_format_errors()
    {
        Assert.Throws<AvroFormatException>(() => new AvroBinaryReader([0x80]).ReadLong());
        Assert.Throws<AvroFormatException>(() => new AvroBinaryReader([0x06, 0x66]).ReadString());
        Assert.Throws<AvroFormatException>(() => new AvroBinaryReader([0x00, 0x00]).ReadDouble());
        Assert.Throws<AvroFormatException>(() => new AvroBinaryReader([0x02]).ReadBoolean());
    }
}
