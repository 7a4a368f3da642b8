using System.Data.Common;
using System.Text;
using System.Text.Json;

namespace Qindex.Index.Query;

/// <summary>Writes query results as CSV (RFC 4180) or JSON lines, streaming row by row.</summary>
public static class QueryOutput
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>RFC 4180: quote fields holding a comma, quote, CR or LF, doubling inner quotes.</summary>
    public static string CsvField(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
    }

    /// <summary>Writes a header line and one line per row; NULL is an empty field. Returns rows written.</summary>
    public static async Task<long> WriteCsvAsync(DbDataReader reader, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(output);
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        // CRLF line ends, as RFC 4180 specifies; fields with embedded newlines are quoted.
        await output.WriteAsync(string.Join(',', names.Select(CsvField)) + "\r\n").ConfigureAwait(false);
        long rows = 0;
        var values = new object?[names.Length];
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            Read(reader, values);
            await output.WriteAsync(string.Join(',', values.Select(v => v is null ? "" : CsvField(QueryEngine.FormatValue(v)))) + "\r\n").ConfigureAwait(false);
            rows++;
        }

        return rows;
    }

    /// <summary>Writes one JSON object per row (JSON lines), numbers and booleans typed, times as strings. Returns rows written.</summary>
    public static async Task<long> WriteJsonLinesAsync(DbDataReader reader, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(output);
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var values = new object?[names.Length];
        long rows = 0;
        using var buffer = new MemoryStream();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            Read(reader, values);
            buffer.SetLength(0);
            await using (var json = new Utf8JsonWriter(buffer, JsonOptions))
            {
                json.WriteStartObject();
                for (var i = 0; i < names.Length; i++)
                {
                    json.WritePropertyName(names[i]);
                    WriteJsonValue(json, values[i]);
                }

                json.WriteEndObject();
            }

            await output.WriteLineAsync(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).ConfigureAwait(false);
            rows++;
        }

        return rows;
    }

    /// <summary>Copies the current row's values, NULL as null.</summary>
    public static void Read(DbDataReader reader, object?[] values)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(values);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }
    }

    private static void WriteJsonValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case bool b: json.WriteBooleanValue(b); break;
            case int i: json.WriteNumberValue(i); break;
            case long l: json.WriteNumberValue(l); break;
            case short s: json.WriteNumberValue(s); break;
            case byte u8: json.WriteNumberValue(u8); break;
            case ulong ul: json.WriteNumberValue(ul); break;
            case uint ui: json.WriteNumberValue(ui); break;
            case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): json.WriteNumberValue(f); break;
            case decimal m: json.WriteNumberValue(m); break;
            case System.Numerics.BigInteger big: json.WriteRawValue(big.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
            default: json.WriteStringValue(QueryEngine.FormatValue(value)); break;
        }
    }
}
