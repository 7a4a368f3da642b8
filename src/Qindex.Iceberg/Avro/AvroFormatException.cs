namespace Qindex.Iceberg.Avro;

/// <summary>
/// Raised when Avro data or a schema is malformed: bad magic, a truncated block, a sync marker that
/// does not match, an unknown codec, or a value that does not fit its schema.
/// </summary>
public sealed class AvroFormatException : Exception
{
    public AvroFormatException()
    {
    }

    public AvroFormatException(string message)
        : base(message)
    {
    }

    public AvroFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
