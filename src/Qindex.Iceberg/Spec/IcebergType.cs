namespace Qindex.Iceberg.Spec;

/// <summary>The Iceberg primitive types a qindex table uses (the spec's "Primitive Types").</summary>
public enum PrimitiveType
{
    /// <summary><c>boolean</c>.</summary>
    Boolean,

    /// <summary><c>int</c>: 32-bit signed.</summary>
    Int,

    /// <summary><c>long</c>: 64-bit signed.</summary>
    Long,

    /// <summary><c>double</c>.</summary>
    Double,

    /// <summary><c>timestamptz</c>: microseconds since the epoch, UTC.</summary>
    TimestampTz,

    /// <summary><c>string</c>: UTF-8.</summary>
    String,

    /// <summary><c>binary</c>.</summary>
    Binary,
}

/// <summary>The spec's names for <see cref="PrimitiveType"/>.</summary>
public static class PrimitiveTypes
{
    /// <summary>The type's name in table metadata JSON.</summary>
    public static string Name(PrimitiveType type) => type switch
    {
        PrimitiveType.Boolean => "boolean",
        PrimitiveType.Int => "int",
        PrimitiveType.Long => "long",
        PrimitiveType.Double => "double",
        PrimitiveType.TimestampTz => "timestamptz",
        PrimitiveType.String => "string",
        PrimitiveType.Binary => "binary",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Parses a type name from table metadata JSON.</summary>
    /// <exception cref="IcebergException">A type this implementation does not handle.</exception>
    public static PrimitiveType Parse(string name) => name switch
    {
        "boolean" => PrimitiveType.Boolean,
        "int" => PrimitiveType.Int,
        "long" => PrimitiveType.Long,
        "double" => PrimitiveType.Double,
        "timestamptz" => PrimitiveType.TimestampTz,
        "string" => PrimitiveType.String,
        "binary" => PrimitiveType.Binary,
        _ => throw new IcebergException($"unsupported Iceberg type '{name}' (qindex tables are flat, of boolean, int, long, double, timestamptz, string and binary columns)"),
    };
}
