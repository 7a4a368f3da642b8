using System.Buffers.Binary;
using System.Text;

namespace Qindex.Iceberg.Avro;

/// <summary>
/// Encodes Avro binary primitives into a growable in-memory buffer. The container writer keeps one
/// per block and resets it between blocks, so encoding a record allocates nothing once warm.
/// </summary>
public sealed class AvroBinaryWriter
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with <paramref name="initialCapacity"/> bytes reserved.</summary>
    public AvroBinaryWriter(int initialCapacity = 4096)
    {
        _buffer = new byte[Math.Max(16, initialCapacity)];
    }

    /// <summary>Bytes written since the last <see cref="Reset"/>.</summary>
    public int Length => _length;

    /// <summary>The bytes written since the last <see cref="Reset"/>; valid until the next write.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>The bytes written since the last <see cref="Reset"/>; valid until the next write.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>Forgets what was written but keeps the buffer.</summary>
    public void Reset() => _length = 0;

    /// <summary>Drops everything written after <paramref name="length"/> bytes, e.g. a record that failed half way.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        _length = length;
    }

    /// <summary>Writes a boolean as one byte, 0 or 1.</summary>
    public void WriteBoolean(bool value)
    {
        Ensure(1);
        _buffer[_length++] = value ? (byte)1 : (byte)0;
    }

    /// <summary>Writes an int as a zigzag varint, the same encoding as a long.</summary>
    public void WriteInt(int value) => WriteLong(value);

    /// <summary>Writes a long as a zigzag varint: small magnitudes of either sign take few bytes.</summary>
    public void WriteLong(long value)
    {
        Ensure(10);
        var n = (ulong)((value << 1) ^ (value >> 63));
        var buffer = _buffer;
        var i = _length;
        while (n >= 0x80)
        {
            buffer[i++] = (byte)(n | 0x80);
            n >>= 7;
        }

        buffer[i++] = (byte)n;
        _length = i;
    }

    /// <summary>Writes a float as 4 little-endian bytes.</summary>
    public void WriteFloat(float value)
    {
        Ensure(4);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    /// <summary>Writes a double as 8 little-endian bytes.</summary>
    public void WriteDouble(double value)
    {
        Ensure(8);
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    /// <summary>Writes bytes with a long length prefix.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteLong(value.Length);
        WriteFixed(value);
    }

    /// <summary>Writes bytes as they are, with no length: the encoding of a fixed and of raw spans.</summary>
    public void WriteFixed(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Writes a string as UTF-8 with a long length prefix.</summary>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);

        // Short strings (names, ids) encode straight into the buffer without counting bytes first:
        // at 3 bytes per UTF-16 unit at worst, under 64 bytes keeps the zigzag length to one byte.
        var max = value.Length * 3;
        if (max < 64)
        {
            Ensure(1 + max);
            var count = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 1));
            _buffer[_length] = (byte)(count << 1);
            _length += 1 + count;
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        WriteLong(length);
        Ensure(length);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    private void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra)
        {
            return;
        }

        var needed = (long)_length + extra;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException("Avro block buffer would exceed the largest array size");
        }

        var size = Math.Max(needed, Math.Min((long)_buffer.Length * 2, Array.MaxLength));
        Array.Resize(ref _buffer, (int)size);
    }
}
