using System.Buffers;
using ParquetSharp;

namespace Qindex.Index.Store;

/// <summary>
/// Writes a string column's values as UTF-8 byte arrays from one buffer rented for the call.
/// ParquetSharp's logical string writer encodes into byte arrays it allocates for each batch; a
/// watcher's batch writes hundreds of thousands of paths a commit (the data file and the changes
/// log), and those arrays were about a tenth of the bytes it allocated, all of them large objects.
/// The Parquet writer copies each value into its page or dictionary while writing the batch, so
/// the buffer is handed back as soon as the batch is written.
/// </summary>
internal static class Utf8ColumnWriter
{
    /// <summary>Writes <paramref name="values"/> (null where absent, allowed only in an optional column) to <paramref name="writer"/>.</summary>
    public static unsafe void Write(ColumnWriter writer, ReadOnlySpan<string?> values)
    {
        var typed = (ColumnWriter<ByteArray>)writer;
        var optional = writer.ColumnDescriptor.MaxDefinitionLevel > 0;
        long total = 0;
        foreach (var value in values)
        {
            if (value is not null)
            {
                total += System.Text.Encoding.UTF8.GetByteCount(value);
            }
            else if (!optional)
            {
                throw new ArgumentException($"column '{writer.ColumnDescriptor.Name}' is required and a value is null", nameof(values));
            }
        }

        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"column '{writer.ColumnDescriptor.Name}': {total} bytes of strings in one batch", nameof(values));
        }

        var bytes = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, total));
        var arrays = ArrayPool<ByteArray>.Shared.Rent(Math.Max(1, values.Length));
        var levels = optional ? ArrayPool<short>.Shared.Rent(Math.Max(1, values.Length)) : null;
        try
        {
            fixed (byte* start = bytes)
            {
                int offset = 0, present = 0;
                for (int i = 0; i < values.Length; i++)
                {
                    if (values[i] is not { } value)
                    {
                        levels![i] = 0;
                        continue;
                    }

                    if (levels is not null)
                    {
                        levels[i] = 1;
                    }

                    int length = System.Text.Encoding.UTF8.GetBytes(value, bytes.AsSpan(offset));
                    arrays[present++] = new ByteArray((IntPtr)(start + offset), length);
                    offset += length;
                }

                typed.WriteBatch(values.Length, levels is null ? default : levels.AsSpan(0, values.Length), default, arrays.AsSpan(0, present));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<ByteArray>.Shared.Return(arrays);
            if (levels is not null)
            {
                ArrayPool<short>.Shared.Return(levels);
            }
        }
    }
}
