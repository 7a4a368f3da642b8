using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Qindex.Iceberg.Avro;

/// <summary>The block compression of an Avro container file.</summary>
public enum AvroCodec
{
    /// <summary>Blocks are stored as they are.</summary>
    Null,

    /// <summary>Blocks are raw DEFLATE (RFC 1951, no zlib header), as the Avro spec requires.</summary>
    Deflate,
}

/// <summary>Settings for an <see cref="AvroContainerWriter"/>.</summary>
public sealed class AvroContainerWriterOptions
{
    /// <summary>Block compression; deflate by default, as Iceberg writes manifests.</summary>
    public AvroCodec Codec { get; init; } = AvroCodec.Deflate;

    /// <summary>How hard deflate works; Optimal matches what other writers produce by default.</summary>
    public CompressionLevel CompressionLevel { get; init; } = CompressionLevel.Optimal;

    /// <summary>Extra header metadata, e.g. Iceberg's "schema", "partition-spec", "format-version", "content".</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>A block is flushed once it holds this many records.</summary>
    public int BlockRecordCount { get; init; } = 10_000;

    /// <summary>A block is flushed once its uncompressed data reaches this many bytes.</summary>
    public int BlockByteSize { get; init; } = 1 << 20;

    /// <summary>Leave the stream open when the writer is disposed.</summary>
    public bool LeaveOpen { get; init; }

    /// <summary>A fixed 16-byte sync marker, for reproducible output in tests; random when null.</summary>
    public byte[]? SyncMarker { get; init; }
}

/// <summary>
/// Writes an Avro Object Container File: the header (magic, metadata, sync marker) followed by
/// blocks of records. Records are encoded into an in-memory block that is written out when it
/// reaches <see cref="AvroContainerWriterOptions.BlockRecordCount"/> records or
/// <see cref="AvroContainerWriterOptions.BlockByteSize"/> bytes, and on flush or dispose.
/// </summary>
public sealed class AvroContainerWriter : IDisposable, IAsyncDisposable
{
    /// <summary>The four bytes every container file starts with: "Obj" and format version 1.</summary>
    public static ReadOnlySpan<byte> Magic => "Obj\u0001"u8;

    private readonly Stream _stream;
    private readonly AvroSchema _schema;
    private readonly AvroContainerWriterOptions _options;
    private readonly byte[] _sync;
    private readonly AvroBinaryWriter _block = new(64 * 1024);
    private readonly AvroBinaryWriter _output = new(64 * 1024);
    private MemoryStream? _compressed;
    private int _blockCount;
    private bool _disposed;

    /// <summary>Creates a writer of <paramref name="schema"/> records onto <paramref name="stream"/>; nothing is written until the first flush.</summary>
    public AvroContainerWriter(Stream stream, AvroSchema schema, AvroContainerWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(schema);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("stream is not writable", nameof(stream));
        }

        _stream = stream;
        _schema = schema;
        _options = options ?? new AvroContainerWriterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BlockRecordCount, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BlockByteSize, 1, nameof(options));
        if (_options.SyncMarker is { } sync)
        {
            if (sync.Length != 16)
            {
                throw new ArgumentException("sync marker must be 16 bytes", nameof(options));
            }

            _sync = (byte[])sync.Clone();
        }
        else
        {
            _sync = RandomNumberGenerator.GetBytes(16);
        }

        foreach (var key in _options.Metadata?.Keys ?? [])
        {
            if (key.StartsWith("avro.", StringComparison.Ordinal))
            {
                // The avro.* space is the format's own; letting a caller override the schema or
                // codec would write a header that lies about the data.
                throw new ArgumentException($"metadata key '{key}' is reserved by Avro", nameof(options));
            }
        }

        WriteHeader();
    }

    /// <summary>The schema records are written with.</summary>
    public AvroSchema Schema => _schema;

    /// <summary>The sync marker written after the header and every block.</summary>
    public ReadOnlySpan<byte> SyncMarker => _sync;

    /// <summary>Records appended so far.</summary>
    public long RecordCount { get; private set; }

    /// <summary>Data blocks finished so far (written to the stream or waiting in the output buffer).</summary>
    public long BlockCount { get; private set; }

    /// <summary>Encodes one record into the current block, writing the block out synchronously when full.</summary>
    public void Append(object? datum)
    {
        if (AppendToBlock(datum))
        {
            WriteBlock();
            DrainOutput(false, default).GetAwaiter().GetResult();
        }
    }

    /// <summary>Encodes one record into the current block, writing the block out asynchronously when full.</summary>
    public async ValueTask AppendAsync(object? datum, CancellationToken cancellationToken = default)
    {
        if (AppendToBlock(datum))
        {
            WriteBlock();
            await DrainOutput(true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes out the header (if not yet written) and any pending block, then flushes the stream.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteBlock();
        DrainOutput(false, default).GetAwaiter().GetResult();
        _stream.Flush();
    }

    /// <summary>Writes out the header (if not yet written) and any pending block, then flushes the stream.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteBlock();
        await DrainOutput(true, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes and, unless told to leave it open, closes the stream.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            Flush();
        }
        finally
        {
            _disposed = true;
            _compressed?.Dispose();
            if (!_options.LeaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    /// <summary>Flushes and, unless told to leave it open, closes the stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            await FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _disposed = true;
            _compressed?.Dispose();
            if (!_options.LeaveOpen)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Encodes a record and reports whether the block is now full.</summary>
    private bool AppendToBlock(object? datum)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var before = _block.Length;
        try
        {
            AvroDatum.Write(_block, _schema, datum);
        }
        catch
        {
            // Drop the partial encoding so the block stays decodable and the caller may go on.
            _block.Truncate(before);
            throw;
        }

        _blockCount++;
        RecordCount++;
        return _blockCount >= _options.BlockRecordCount || _block.Length >= _options.BlockByteSize;
    }

    private void WriteHeader()
    {
        var output = _output;
        output.WriteFixed(Magic);

        var metadata = new List<KeyValuePair<string, byte[]>>
        {
            new("avro.schema", Encoding.UTF8.GetBytes(_schema.ToJson())),
            new("avro.codec", Encoding.UTF8.GetBytes(_options.Codec == AvroCodec.Deflate ? "deflate" : "null")),
        };
        if (_options.Metadata is { } extra)
        {
            foreach (var (key, value) in extra)
            {
                metadata.Add(new(key, Encoding.UTF8.GetBytes(value)));
            }
        }

        output.WriteLong(metadata.Count);
        foreach (var (key, value) in metadata)
        {
            output.WriteString(key);
            output.WriteBytes(value);
        }

        output.WriteLong(0);
        output.WriteFixed(_sync);
    }

    /// <summary>Moves the pending block, if any, into the output buffer, compressing it as configured.</summary>
    private void WriteBlock()
    {
        if (_blockCount == 0)
        {
            return;
        }

        ReadOnlySpan<byte> data = _block.WrittenSpan;
        if (_options.Codec == AvroCodec.Deflate)
        {
            _compressed ??= new MemoryStream();
            _compressed.SetLength(0);
            using (var deflate = new DeflateStream(_compressed, _options.CompressionLevel, leaveOpen: true))
            {
                deflate.Write(data);
            }

            data = _compressed.GetBuffer().AsSpan(0, (int)_compressed.Length);
        }

        _output.WriteLong(_blockCount);
        _output.WriteLong(data.Length);
        _output.WriteFixed(data);
        _output.WriteFixed(_sync);
        _block.Reset();
        _blockCount = 0;
        BlockCount++;
    }

    /// <summary>Writes the output buffer (header and finished blocks) to the stream; one code path serves sync and async.</summary>
    private async ValueTask DrainOutput(bool useAsync, CancellationToken cancellationToken)
    {
        if (_output.Length == 0)
        {
            return;
        }

        if (useAsync)
        {
            await _stream.WriteAsync(_output.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _stream.Write(_output.WrittenSpan);
        }

        _output.Reset();
    }
}
