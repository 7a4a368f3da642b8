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
    /// <summary>
    /// Buffers of a row group's strings: several megabytes for a batch's paths, beyond what the
    /// shared pool keeps, so that each was allocated anew (about 3 percent of a watcher's bytes).
    /// </summary>
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(64 * 1024 * 1024, 4);

    /// <summary>Writes <paramref name="values"/> (null where absent, allowed only in an optional column) to <paramref name="writer"/>.</summary>
    public static void Write(ColumnWriter writer, string?[] values) => Write(writer, new StringValues(values, values.Length));

    /// <summary>Writes the first <paramref name="count"/> of <paramref name="values"/>.</summary>
    public static void Write(ColumnWriter writer, string?[] values, int count) => Write(writer, new StringValues(values, count));

    /// <summary>Writes <paramref name="values"/> (a null where absent, allowed only in an optional column) to <paramref name="writer"/>.</summary>
    public static unsafe void Write(ColumnWriter writer, IUtf8Values values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(values);
        var typed = (ColumnWriter<ByteArray>)writer;
        var optional = writer.ColumnDescriptor.MaxDefinitionLevel > 0;
        int count = values.Count;

        // Each value's length is asked for once: the writer's second pass reads it back (a
        // record's string is measured by encoding, and a moved directory's own name is made).
        var lengths = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
        byte[]? bytes = null;
        ByteArray[]? arrays = null;
        short[]? levels = null;
        try
        {
            long total = 0;
            for (int i = 0; i < count; i++)
            {
                int length = lengths[i] = values.ByteCount(i);
                if (length >= 0)
                {
                    total += length;
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

            bytes = Buffers.Rent((int)Math.Max(1, total));
            arrays = ArrayPool<ByteArray>.Shared.Rent(Math.Max(1, count));
            levels = optional ? ArrayPool<short>.Shared.Rent(Math.Max(1, count)) : null;
            fixed (byte* start = bytes)
            {
                int offset = 0, present = 0;
                for (int i = 0; i < count; i++)
                {
                    if (lengths[i] < 0)
                    {
                        levels![i] = 0;
                        continue;
                    }

                    if (levels is not null)
                    {
                        levels[i] = 1;
                    }

                    int length = values.Write(i, bytes.AsSpan(offset));
                    arrays[present++] = new ByteArray((IntPtr)(start + offset), length);
                    offset += length;
                }

                typed.WriteBatch(count, levels is null ? default : levels.AsSpan(0, count), default, arrays.AsSpan(0, present));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(lengths);
            if (bytes is not null)
            {
                Buffers.Return(bytes);
            }

            if (arrays is not null)
            {
                ArrayPool<ByteArray>.Shared.Return(arrays);
            }

            if (levels is not null)
            {
                ArrayPool<short>.Shared.Return(levels);
            }
        }
    }

    private sealed class StringValues(string?[] values, int count) : IUtf8Values
    {
        public int Count => count;

        public int ByteCount(int i) => values[i] is { } value ? System.Text.Encoding.UTF8.GetByteCount(value) : -1;

        public int Write(int i, Span<byte> into) => System.Text.Encoding.UTF8.GetBytes(values[i], into);
    }
}

/// <summary>A string column's values as the UTF-8 writer takes them, each as bytes it writes where told.</summary>
internal interface IUtf8Values
{
    int Count { get; }

    /// <summary>The UTF-8 length of value <paramref name="i"/>, or -1 for a null.</summary>
    int ByteCount(int i);

    /// <summary>Writes value <paramref name="i"/>'s bytes to <paramref name="into"/>, returning their number.</summary>
    int Write(int i, Span<byte> into);
}
