using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;

namespace Qindex.Iceberg.Avro;

/// <summary>
/// Reads an Avro Object Container File: parses the header (magic, metadata, schema, codec, sync
/// marker) on open, then enumerates records block by block. Only one block is held in memory at a
/// time. Any structural problem raises <see cref="AvroFormatException"/>.
/// </summary>
public sealed class AvroContainerReader : IDisposable, IAsyncDisposable
{
    private const int SyncSize = 16;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly AvroBinaryReader _decoder = new([]);
    private byte[] _input = new byte[64 * 1024];
    private int _inputPosition;
    private int _inputLength;
    private bool _endOfStream;
    private byte[] _inflated = [];
    private byte[] _sync = [];
    private long _blockIndex;
    private bool _enumerating;
    private bool _disposed;

    private AvroContainerReader(Stream stream, bool leaveOpen)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The writer's schema, from the "avro.schema" metadata entry.</summary>
    public AvroSchema Schema { get; private set; } = AvroSchema.Null;

    /// <summary>The block compression, from the "avro.codec" metadata entry.</summary>
    public AvroCodec Codec { get; private set; }

    /// <summary>Every header metadata entry, values decoded as UTF-8, including the avro.* ones.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    /// <summary>The file's 16-byte sync marker.</summary>
    public ReadOnlySpan<byte> SyncMarker => _sync;

    /// <summary>Opens a container file on <paramref name="stream"/>, reading its header synchronously.</summary>
    public static AvroContainerReader Open(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new AvroContainerReader(stream, leaveOpen);
        try
        {
            reader.ReadHeader(false, default).GetAwaiter().GetResult();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Opens a container file on <paramref name="stream"/>, reading its header asynchronously.</summary>
    public static async Task<AvroContainerReader> OpenAsync(Stream stream, bool leaveOpen = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new AvroContainerReader(stream, leaveOpen);
        try
        {
            await reader.ReadHeader(true, cancellationToken).ConfigureAwait(false);
            return reader;
        }
        catch
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Enumerates the records of the file; may be enumerated only once, since the stream is read forward.</summary>
    public IEnumerable<object?> ReadRecords()
    {
        StartEnumeration();
        return Enumerate();

        IEnumerable<object?> Enumerate()
        {
            while (true)
            {
                var count = NextBlock(false, default).GetAwaiter().GetResult();
                if (count < 0)
                {
                    yield break;
                }

                for (long i = 0; i < count; i++)
                {
                    yield return AvroDatum.Read(_decoder, Schema);
                }

                EndBlock();
            }
        }
    }

    /// <summary>Enumerates the records of the file, reading blocks asynchronously; may be enumerated only once.</summary>
    public IAsyncEnumerable<object?> ReadRecordsAsync(CancellationToken cancellationToken = default)
    {
        StartEnumeration();
        return Enumerate(cancellationToken);

        async IAsyncEnumerable<object?> Enumerate([EnumeratorCancellation] CancellationToken token)
        {
            while (true)
            {
                var count = await NextBlock(true, token).ConfigureAwait(false);
                if (count < 0)
                {
                    yield break;
                }

                for (long i = 0; i < count; i++)
                {
                    yield return AvroDatum.Read(_decoder, Schema);
                }

                EndBlock();
            }
        }
    }

    /// <summary>Closes the stream unless told to leave it open.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    /// <summary>Closes the stream unless told to leave it open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_leaveOpen)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void StartEnumeration()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_enumerating)
        {
            throw new InvalidOperationException("the records of a container file can be enumerated only once");
        }

        _enumerating = true;
    }

    private async ValueTask ReadHeader(bool useAsync, CancellationToken cancellationToken)
    {
        if (await Fill(4, useAsync, cancellationToken).ConfigureAwait(false) < 4
            || !_input.AsSpan(_inputPosition, 4).SequenceEqual(AvroContainerWriter.Magic))
        {
            throw new AvroFormatException("not an Avro container file: the first four bytes are not \"Obj\" 0x01");
        }

        _inputPosition += 4;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            var count = await ReadLong(useAsync, "header metadata", cancellationToken).ConfigureAwait(false);
            if (count == 0)
            {
                break;
            }

            if (count < 0)
            {
                // A negative count is followed by the block's size in bytes, which is not needed here.
                count = -count;
                await ReadLong(useAsync, "header metadata", cancellationToken).ConfigureAwait(false);
            }

            for (long i = 0; i < count; i++)
            {
                var key = Encoding.UTF8.GetString(await ReadBytes(useAsync, cancellationToken).ConfigureAwait(false));
                var value = Encoding.UTF8.GetString(await ReadBytes(useAsync, cancellationToken).ConfigureAwait(false));
                metadata[key] = value;
            }
        }

        if (await Fill(SyncSize, useAsync, cancellationToken).ConfigureAwait(false) < SyncSize)
        {
            throw new AvroFormatException("truncated header: the file ends before the sync marker");
        }

        _sync = _input.AsSpan(_inputPosition, SyncSize).ToArray();
        _inputPosition += SyncSize;

        if (!metadata.TryGetValue("avro.schema", out var schemaJson))
        {
            throw new AvroFormatException("header has no avro.schema entry");
        }

        Schema = AvroSchema.Parse(schemaJson);
        Codec = metadata.TryGetValue("avro.codec", out var codec) ? codec switch
        {
            "null" or "" => AvroCodec.Null,
            "deflate" => AvroCodec.Deflate,
            _ => throw new AvroFormatException($"unsupported codec '{codec}' (only null and deflate are supported)"),
        } : AvroCodec.Null;
        Metadata = metadata;
    }

    /// <summary>
    /// Reads the next block's header, data and sync marker and points the decoder at its records.
    /// Returns the record count, or -1 at a clean end of file.
    /// </summary>
    private async ValueTask<long> NextBlock(bool useAsync, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (await Fill(1, useAsync, cancellationToken).ConfigureAwait(false) == 0)
        {
            return -1;
        }

        var where = $"block {_blockIndex}";
        var count = await ReadLong(useAsync, where, cancellationToken).ConfigureAwait(false);
        var size = await ReadLong(useAsync, where, cancellationToken).ConfigureAwait(false);
        if (count < 0 || size < 0 || size > Array.MaxLength - SyncSize)
        {
            throw new AvroFormatException($"{where} has an invalid header: count {count}, size {size}");
        }

        var length = (int)size;
        var available = await Fill(length + SyncSize, useAsync, cancellationToken).ConfigureAwait(false);
        if (available < length + SyncSize)
        {
            throw new AvroFormatException(
                $"truncated file: {where} needs {length} bytes of data and a {SyncSize}-byte sync marker, only {available} bytes remain");
        }

        if (!_input.AsSpan(_inputPosition + length, SyncSize).SequenceEqual(_sync))
        {
            throw new AvroFormatException($"sync marker mismatch after {where}: the file is corrupt or was not written as one file");
        }

        var dataStart = _inputPosition;
        _inputPosition += length + SyncSize;
        if (Codec == AvroCodec.Deflate)
        {
            var inflatedLength = Inflate(dataStart, length, where);
            _decoder.Reset(_inflated, 0, inflatedLength);
        }
        else
        {
            // The block stays in the input buffer until the next Fill, which happens only after
            // every record of this block has been decoded.
            _decoder.Reset(_input, dataStart, length);
        }

        if (count > 0 && _decoder.Remaining == 0 && !IsZeroSize(Schema))
        {
            throw new AvroFormatException($"{where} claims {count} records but holds no data");
        }

        return count;
    }

    /// <summary>Checks that the block's records used all its bytes, which catches a wrong count or schema.</summary>
    private void EndBlock()
    {
        if (_decoder.Remaining != 0)
        {
            throw new AvroFormatException($"block {_blockIndex} has {_decoder.Remaining} bytes left after its records");
        }

        _blockIndex++;
    }

    private static bool IsZeroSize(AvroSchema schema) => schema.Type switch
    {
        AvroType.Null => true,
        AvroType.Fixed => ((AvroFixedSchema)schema).Size == 0,
        AvroType.Record => ((AvroRecordSchema)schema).Fields.All(f => IsZeroSize(f.Schema)),
        _ => false,
    };

    private int Inflate(int offset, int length, string where)
    {
        if (_inflated.Length == 0)
        {
            _inflated = new byte[Math.Max(64 * 1024, length * 4)];
        }

        var total = 0;
        try
        {
            using var source = new MemoryStream(_input, offset, length, writable: false);
            using var deflate = new DeflateStream(source, CompressionMode.Decompress);
            while (true)
            {
                if (total == _inflated.Length)
                {
                    if (_inflated.Length == Array.MaxLength)
                    {
                        throw new AvroFormatException($"{where} inflates past the largest array size");
                    }

                    Array.Resize(ref _inflated, (int)Math.Min((long)_inflated.Length * 2, Array.MaxLength));
                }

                var read = deflate.Read(_inflated, total, _inflated.Length - total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw new AvroFormatException($"{where} is not valid deflate data: {e.Message}", e);
        }

        return total;
    }

    private async ValueTask<byte[]> ReadBytes(bool useAsync, CancellationToken cancellationToken)
    {
        var length = await ReadLong(useAsync, "header metadata", cancellationToken).ConfigureAwait(false);
        if (length < 0 || length > Array.MaxLength)
        {
            throw new AvroFormatException($"header metadata has an invalid length {length}");
        }

        var available = await Fill((int)length, useAsync, cancellationToken).ConfigureAwait(false);
        if (available < length)
        {
            throw new AvroFormatException($"truncated header: a metadata entry needs {length} bytes, only {available} remain");
        }

        var value = _input.AsSpan(_inputPosition, (int)length).ToArray();
        _inputPosition += (int)length;
        return value;
    }

    private async ValueTask<long> ReadLong(bool useAsync, string where, CancellationToken cancellationToken)
    {
        var available = await Fill(10, useAsync, cancellationToken).ConfigureAwait(false);
        ulong n = 0;
        var shift = 0;
        for (var i = 0; i < available; i++)
        {
            var b = _input[_inputPosition + i];
            n |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                _inputPosition += i + 1;
                return (long)(n >> 1) ^ -(long)(n & 1);
            }

            shift += 7;
        }

        throw new AvroFormatException(available < 10
            ? $"truncated file: {where} ends inside a number"
            : $"{where} has a number longer than 10 bytes");
    }

    /// <summary>
    /// Makes at least <paramref name="count"/> unread bytes available in the input buffer, unless the
    /// stream ends first, and returns how many are available (capped at <paramref name="count"/>).
    /// The buffer grows by doubling as data actually arrives, so a corrupt size cannot force a huge
    /// allocation up front.
    /// </summary>
    private async ValueTask<int> Fill(int count, bool useAsync, CancellationToken cancellationToken)
    {
        while (_inputLength - _inputPosition < count && !_endOfStream)
        {
            if (_inputPosition > 0)
            {
                // Compact: unread bytes move to the front so the buffer only grows for large blocks.
                var unread = _inputLength - _inputPosition;
                Buffer.BlockCopy(_input, _inputPosition, _input, 0, unread);
                _inputPosition = 0;
                _inputLength = unread;
            }

            if (_inputLength == _input.Length)
            {
                Array.Resize(ref _input, (int)Math.Min((long)_input.Length * 2, Array.MaxLength));
            }

            var read = useAsync
                ? await _stream.ReadAsync(_input.AsMemory(_inputLength), cancellationToken).ConfigureAwait(false)
                : _stream.Read(_input, _inputLength, _input.Length - _inputLength);
            if (read == 0)
            {
                _endOfStream = true;
            }

            _inputLength += read;
        }

        return Math.Min(count, _inputLength - _inputPosition);
    }
}
