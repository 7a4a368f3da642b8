using System.Buffers.Binary;
using System.Text;

namespace Qindex.Iceberg.Avro;

/// <summary>
/// Decodes Avro binary primitives from a byte array slice. Every read checks the slice's end so a
/// short block surfaces as an <see cref="AvroFormatException"/> rather than garbage.
/// </summary>
public sealed class AvroBinaryReader
{
    private byte[] _buffer;
    private int _position;
    private int _end;

    /// <summary>Creates a reader over the whole of <paramref name="buffer"/>.</summary>
    public AvroBinaryReader(byte[] buffer)
        : this(buffer, 0, buffer?.Length ?? 0)
    {
    }

    /// <summary>Creates a reader over <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    public AvroBinaryReader(byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        _buffer = buffer;
        Reset(buffer, offset, count);
    }

    /// <summary>The current position in the underlying array.</summary>
    public int Position => _position;

    /// <summary>Bytes left before the end of the slice.</summary>
    public int Remaining => _end - _position;

    /// <summary>Points the reader at a new slice, so one reader serves every block of a file.</summary>
    public void Reset(byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, buffer.Length - count);
        _buffer = buffer;
        _position = offset;
        _end = offset + count;
    }

    /// <summary>Reads a boolean byte; anything but 0 or 1 is malformed.</summary>
    public bool ReadBoolean()
    {
        Need(1);
        return _buffer[_position++] switch
        {
            0 => false,
            1 => true,
            var b => throw new AvroFormatException($"invalid boolean byte {b} at offset {_position - 1}"),
        };
    }

    /// <summary>Reads a zigzag varint that must fit an int.</summary>
    public int ReadInt()
    {
        var value = ReadLong();
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new AvroFormatException($"int value {value} out of range");
    }

    /// <summary>Reads a zigzag varint long.</summary>
    public long ReadLong()
    {
        ulong n = 0;
        var shift = 0;
        while (true)
        {
            if (_position >= _end)
            {
                throw new AvroFormatException("truncated data: varint runs past the end of the block");
            }

            var b = _buffer[_position++];
            n |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }

            shift += 7;
            if (shift > 63)
            {
                throw new AvroFormatException("varint longer than 10 bytes");
            }
        }

        return (long)(n >> 1) ^ -(long)(n & 1);
    }

    /// <summary>Reads a 4-byte little-endian float.</summary>
    public float ReadFloat()
    {
        Need(4);
        var value = BinaryPrimitives.ReadSingleLittleEndian(_buffer.AsSpan(_position, 4));
        _position += 4;
        return value;
    }

    /// <summary>Reads an 8-byte little-endian double.</summary>
    public double ReadDouble()
    {
        Need(8);
        var value = BinaryPrimitives.ReadDoubleLittleEndian(_buffer.AsSpan(_position, 8));
        _position += 8;
        return value;
    }

    /// <summary>Reads length-prefixed bytes into a new array.</summary>
    public byte[] ReadBytes() => ReadFixed(ReadLength());

    /// <summary>Reads exactly <paramref name="size"/> bytes into a new array.</summary>
    public byte[] ReadFixed(int size)
    {
        Need(size);
        var value = _buffer.AsSpan(_position, size).ToArray();
        _position += size;
        return value;
    }

    /// <summary>Reads a length-prefixed UTF-8 string.</summary>
    public string ReadString()
    {
        var length = ReadLength();
        Need(length);
        var value = Encoding.UTF8.GetString(_buffer, _position, length);
        _position += length;
        return value;
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    public void Skip(int count)
    {
        Need(count);
        _position += count;
    }

    private int ReadLength()
    {
        var length = ReadLong();
        if (length < 0 || length > Remaining)
        {
            throw new AvroFormatException(length < 0
                ? $"negative length {length}"
                : $"truncated data: length {length} runs past the end of the block ({Remaining} bytes left)");
        }

        return (int)length;
    }

    private void Need(int count)
    {
        if (count < 0 || _end - _position < count)
        {
            throw new AvroFormatException($"truncated data: needed {count} bytes, {_end - _position} left in the block");
        }
    }
}
