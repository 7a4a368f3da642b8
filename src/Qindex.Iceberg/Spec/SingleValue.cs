using System.Buffers.Binary;
using System.Text;

namespace Qindex.Iceberg.Spec;

/// <summary>
/// The spec's single-value binary serialization (Appendix D), used for column bounds in manifests:
/// little-endian fixed-width numbers, UTF-8 strings without a length.
/// </summary>
public static class SingleValue
{
    /// <summary>Bounds of string columns are truncated to this many code points (Java's default <c>truncate(16)</c>).</summary>
    public const int DefaultTruncateLength = 16;

    public static byte[] FromInt(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] FromLong(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] FromBoolean(bool value) => [value ? (byte)1 : (byte)0];

    public static byte[] FromDouble(double value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] FromString(string value) => Encoding.UTF8.GetBytes(value);

    public static int ToInt(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt32LittleEndian(bytes);

    public static long ToLong(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt64LittleEndian(bytes);

    public static string ToString(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>A lower bound no longer than <paramref name="length"/> code points: a prefix is always a valid lower bound.</summary>
    public static string TruncateLower(string value, int length)
    {
        ArgumentNullException.ThrowIfNull(value);
        return CodePointPrefix(value, length, out _);
    }

    /// <summary>
    /// An upper bound no longer than <paramref name="length"/> code points: the prefix with its last
    /// code point incremented, so it still sorts after every value with that prefix; null when no
    /// such bound exists (every code point already the maximum), in which case none is written.
    /// </summary>
    public static string? TruncateUpper(string value, int length)
    {
        ArgumentNullException.ThrowIfNull(value);
        string prefix = CodePointPrefix(value, length, out bool truncated);
        if (!truncated)
        {
            return value;
        }

        var runes = prefix.EnumerateRunes().ToList();
        for (int i = runes.Count - 1; i >= 0; i--)
        {
            int next = runes[i].Value + 1;
            if (next is >= 0xD800 and <= 0xDFFF)
            {
                next = 0xE000;
            }

            if (next <= 0x10FFFF)
            {
                var builder = new StringBuilder();
                for (int j = 0; j < i; j++)
                {
                    builder.Append(runes[j].ToString());
                }

                builder.Append(new Rune(next).ToString());
                return builder.ToString();
            }
        }

        return null;
    }

    private static string CodePointPrefix(string value, int length, out bool truncated)
    {
        int count = 0;
        int index = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            if (count == length)
            {
                truncated = true;
                return value[..index];
            }

            count++;
            index += rune.Utf16SequenceLength;
        }

        truncated = false;
        return value;
    }
}
