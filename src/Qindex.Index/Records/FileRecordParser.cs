using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Qindex.Index.Records;

/// <summary>
/// Thrown when an attribute object carries a value that cannot be turned into its column, naming
/// the field and the offending value so the bad input can be found.
/// </summary>
public sealed class FileRecordFormatException : FormatException
{
    public FileRecordFormatException(string field, string? value, string reason)
        : base($"attribute '{field}' has value {Quote(value)}: {reason}")
    {
        Field = field;
        Value = value;
    }

    public FileRecordFormatException(string message)
        : base(message)
    {
        Field = "";
    }

    public FileRecordFormatException()
        : this("invalid attribute object")
    {
    }

    public FileRecordFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "";
    }

    /// <summary>The attribute name, dotted for nested objects (for example <c>owner_details.id_value</c>).</summary>
    public string Field { get; }

    /// <summary>The raw value as it appeared in the input, or null when it was not a scalar.</summary>
    public string? Value { get; }

    private static string Quote(string? value) => value is null ? "(not a scalar)" : "\"" + value + "\"";
}

/// <summary>
/// The records function: one Qumulo attribute object (as returned by <c>/info/attributes</c> and in
/// entries pages) becomes one <see cref="FileRecord"/>. Crawl, watch, catch-up and import all call
/// this, so every path into the index normalizes values the same way: numbers from strings, mode
/// from octal, times truncated to microseconds in UTC, nested objects flattened, file_number null
/// when it equals id, missing fields null.
/// </summary>
public static class FileRecordParser
{
    /// <summary>Parses an attribute object held as a <see cref="JsonElement"/>.</summary>
    /// <exception cref="FileRecordFormatException">A value cannot be parsed, or path is missing.</exception>
    public static FileRecord Parse(JsonElement attributes, DateTimeOffset? ingestTs)
    {
        if (attributes.ValueKind != JsonValueKind.Object)
        {
            throw new FileRecordFormatException($"expected an attribute object, found {attributes.ValueKind}");
        }

        var builder = new Builder();
        foreach (var property in attributes.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "major_minor_numbers":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var inner in value.EnumerateObject())
                        {
                            builder.SetNested(Nested.MajorMinor, inner.Name, Scalar.From(inner.Value));
                        }
                    }

                    break;
                case "owner_details":
                case "group_details":
                case "extended_attributes":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        var nested = NestedOf(property.Name);
                        foreach (var inner in value.EnumerateObject())
                        {
                            builder.SetNested(nested, inner.Name, Scalar.From(inner.Value));
                        }
                    }

                    break;
                default:
                    builder.Set(property.Name, Scalar.From(value));
                    break;
            }
        }

        return builder.Build(ingestTs);
    }

    /// <summary>
    /// Parses the attribute object the reader is positioned on (its StartObject token); on return the
    /// reader is on the matching EndObject. Used on entries pages, where building a DOM per object
    /// would cost an allocation per value.
    /// </summary>
    /// <exception cref="FileRecordFormatException">A value cannot be parsed, or path is missing.</exception>
    public static FileRecord Parse(ref Utf8JsonReader reader, DateTimeOffset? ingestTs)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FileRecordFormatException($"expected an attribute object, found {reader.TokenType}");
        }

        var builder = new Builder();
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return builder.Build(ingestTs);
            }

            var name = reader.GetString()!;
            reader.Read();
            var nested = NestedOf(name);
            if (nested != Nested.None && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var innerName = reader.GetString()!;
                    reader.Read();
                    builder.SetNested(nested, innerName, Scalar.From(ref reader));
                }
            }
            else
            {
                builder.Set(name, Scalar.From(ref reader));
            }
        }

        throw new FileRecordFormatException("attribute object ended early");
    }

    /// <summary>Parses one attribute object from UTF-8 JSON text (one NDJSON line, for example).</summary>
    /// <exception cref="FileRecordFormatException">A value cannot be parsed, or path is missing.</exception>
    /// <exception cref="JsonException">The text is not valid JSON.</exception>
    public static FileRecord Parse(ReadOnlySpan<byte> utf8Json, DateTimeOffset? ingestTs)
    {
        var reader = new Utf8JsonReader(utf8Json);
        if (!reader.Read())
        {
            throw new FileRecordFormatException("empty input");
        }

        return Parse(ref reader, ingestTs);
    }

    /// <summary>
    /// Parses an RFC 3339 time with up to nine fractional digits and any offset, truncated to
    /// microseconds and returned in UTC. <see cref="DateTimeOffset.Parse(string)"/> stops at seven
    /// digits, and the cluster writes nine.
    /// </summary>
    public static bool TryParseTime(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        // yyyy-MM-ddTHH:mm:ss
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')
            || text[13] != ':' || text[16] != ':')
        {
            return false;
        }

        if (!TryDigits(text[..4], out var year) || !TryDigits(text.Slice(5, 2), out var month) ||
            !TryDigits(text.Slice(8, 2), out var day) || !TryDigits(text.Slice(11, 2), out var hour) ||
            !TryDigits(text.Slice(14, 2), out var minute) || !TryDigits(text.Slice(17, 2), out var second))
        {
            return false;
        }

        var i = 19;
        long micros = 0;
        if (i < text.Length && text[i] == '.')
        {
            i++;
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                if (i - start < 6)
                {
                    micros = (micros * 10) + (text[i] - '0');
                }

                i++;
            }

            var digits = i - start;
            if (digits == 0)
            {
                return false;
            }

            for (var d = digits; d < 6; d++)
            {
                micros *= 10;
            }
        }

        if (i >= text.Length)
        {
            return false;
        }

        TimeSpan offset;
        var zone = text[i..];
        if (zone is "Z" or "z")
        {
            offset = TimeSpan.Zero;
        }
        else if (zone.Length == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
                 TryDigits(zone.Slice(1, 2), out var oh) && TryDigits(zone.Slice(4, 2), out var om) && oh < 24 && om < 60)
        {
            offset = new TimeSpan(oh, om, 0);
            if (zone[0] == '-')
            {
                offset = -offset;
            }
        }
        else
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || year < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 ||
            minute > 59 || second > 60)
        {
            return false;
        }

        // A leap second has no representation in Iceberg or .NET; fold it into the next second.
        var leap = second == 60;
        try
        {
            var local = new DateTime(year, month, day, hour, minute, leap ? 59 : second, DateTimeKind.Unspecified);
            var utcTicks = local.Ticks - offset.Ticks + (micros * 10) + (leap ? TimeSpan.TicksPerSecond : 0);
            value = new DateTimeOffset(utcTicks, TimeSpan.Zero);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static bool TryDigits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }

    private static Nested NestedOf(string name) => name switch
    {
        "major_minor_numbers" => Nested.MajorMinor,
        "owner_details" => Nested.Owner,
        "group_details" => Nested.Group,
        "extended_attributes" => Nested.Extended,
        _ => Nested.None,
    };

    private enum Nested
    {
        None,
        MajorMinor,
        Owner,
        Group,
        Extended,
    }

    /// <summary>A scalar JSON value reduced to what the columns need: its text, or a boolean, or null.</summary>
    private readonly record struct Scalar(string? Text, bool? Bool, bool IsNull, bool IsStructured)
    {
        public static Scalar From(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => new Scalar(value.GetString(), null, false, false),
            JsonValueKind.Number => new Scalar(value.GetRawText(), null, false, false),
            JsonValueKind.True => new Scalar(null, true, false, false),
            JsonValueKind.False => new Scalar(null, false, false, false),
            JsonValueKind.Null => new Scalar(null, null, true, false),
            _ => new Scalar(null, null, false, true),
        };

        public static Scalar From(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    return new Scalar(reader.GetString(), null, false, false);
                case JsonTokenType.Number:
                    return new Scalar(Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan), null, false, false);
                case JsonTokenType.True:
                    return new Scalar(null, true, false, false);
                case JsonTokenType.False:
                    return new Scalar(null, false, false, false);
                case JsonTokenType.Null:
                    return new Scalar(null, null, true, false);
                default:
                    reader.Skip();
                    return new Scalar(null, null, false, true);
            }
        }

        public string? AsText(string field)
        {
            if (IsNull)
            {
                return null;
            }

            if (Text is null)
            {
                throw new FileRecordFormatException(field, Bool?.ToString(), "expected a string");
            }

            return Text;
        }

        public long? AsInt64(string field)
        {
            if (IsNull)
            {
                return null;
            }

            if (Text is null || !long.TryParse(Text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v))
            {
                throw new FileRecordFormatException(field, Text ?? Bool?.ToString(), "expected a 64-bit integer");
            }

            return v;
        }

        public int? AsInt32(string field)
        {
            if (IsNull)
            {
                return null;
            }

            if (Text is null || !int.TryParse(Text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v))
            {
                throw new FileRecordFormatException(field, Text ?? Bool?.ToString(), "expected a 32-bit integer");
            }

            return v;
        }

        public int? AsOctal(string field)
        {
            if (IsNull)
            {
                return null;
            }

            if (Text is null || Text.Length == 0 || Text.Length > 11)
            {
                throw new FileRecordFormatException(field, Text ?? Bool?.ToString(), "expected an octal mode such as \"0755\"");
            }

            long v = 0;
            foreach (var c in Text)
            {
                if (c is < '0' or > '7')
                {
                    throw new FileRecordFormatException(field, Text, "expected an octal mode such as \"0755\"");
                }

                v = (v * 8) + (c - '0');
            }

            if (v > int.MaxValue)
            {
                throw new FileRecordFormatException(field, Text, "octal mode out of range");
            }

            return (int)v;
        }

        public bool? AsBool(string field)
        {
            if (IsNull)
            {
                return null;
            }

            if (Bool is { } b)
            {
                return b;
            }

            return Text switch
            {
                "true" => true,
                "false" => false,
                _ => throw new FileRecordFormatException(field, Text, "expected true or false"),
            };
        }

        public DateTimeOffset? AsTime(string field)
        {
            if (IsNull)
            {
                return null;
            }

            if (Text is null || !TryParseTime(Text, out var t))
            {
                throw new FileRecordFormatException(field, Text ?? Bool?.ToString(), "expected an RFC 3339 time");
            }

            return t;
        }
    }

    /// <summary>Mutable accumulator for one object; fields land in any order.</summary>
    private sealed class Builder
    {
        private string? _path;
        private string? _name;
        private int? _numLinks;
        private string? _type;
        private int? _major;
        private int? _minor;
        private string? _symlinkTargetType;
        private string? _id;
        private string? _fileNumber;
        private int? _mode;
        private long? _owner;
        private string? _ownerIdType;
        private string? _ownerIdValue;
        private long? _group;
        private string? _groupIdType;
        private string? _groupIdValue;
        private long? _blocks;
        private long? _datablocks;
        private long? _metablocks;
        private long? _size;
        private DateTimeOffset? _atime;
        private DateTimeOffset? _mtime;
        private DateTimeOffset? _ctime;
        private DateTimeOffset? _btime;
        private int? _childCount;
        private bool? _eaReadOnly;
        private bool? _eaHidden;
        private bool? _eaSystem;
        private bool? _eaArchive;
        private bool? _eaTemporary;
        private bool? _eaCompressed;
        private bool? _eaNotContentIndexed;
        private bool? _eaSparseFile;
        private bool? _eaOffline;
        private string? _hashPolicy;
        private long? _dataRevision;
        private long? _userMetadataRevision;

        public void Set(string name, Scalar v)
        {
            if (v.IsStructured)
            {
                // Unknown nested objects (lock, for example) are not columns; a known scalar field
                // holding an object is malformed.
                if (IsKnownScalar(name))
                {
                    throw new FileRecordFormatException(name, null, "expected a scalar value");
                }

                return;
            }

            switch (name)
            {
                case "path": _path = v.AsText(name); break;
                case "name": _name = v.AsText(name); break;
                case "num_links": _numLinks = v.AsInt32(name); break;
                case "type": _type = v.AsText(name); break;
                case "symlink_target_type": _symlinkTargetType = v.AsText(name); break;
                case "id": _id = v.AsText(name); break;
                case "file_number": _fileNumber = v.AsText(name); break;
                case "mode": _mode = v.AsOctal(name); break;
                case "owner": _owner = v.AsInt64(name); break;
                case "group": _group = v.AsInt64(name); break;
                case "blocks": _blocks = v.AsInt64(name); break;
                case "datablocks": _datablocks = v.AsInt64(name); break;
                case "metablocks": _metablocks = v.AsInt64(name); break;
                case "size": _size = v.AsInt64(name); break;
                case "access_time": _atime = v.AsTime(name); break;
                case "modification_time": _mtime = v.AsTime(name); break;
                case "change_time": _ctime = v.AsTime(name); break;
                case "creation_time": _btime = v.AsTime(name); break;
                case "child_count": _childCount = v.AsInt32(name); break;
                case "directory_entry_hash_policy": _hashPolicy = v.AsText(name); break;
                case "data_revision": _dataRevision = v.AsInt64(name); break;
                case "user_metadata_revision": _userMetadataRevision = v.AsInt64(name); break;
                default: break;
            }
        }

        public void SetNested(Nested nested, string name, Scalar v)
        {
            if (v.IsStructured)
            {
                return;
            }

            switch (nested)
            {
                case Nested.MajorMinor when name == "major": _major = v.AsInt32("major_minor_numbers.major"); break;
                case Nested.MajorMinor when name == "minor": _minor = v.AsInt32("major_minor_numbers.minor"); break;
                case Nested.Owner when name == "id_type": _ownerIdType = v.AsText("owner_details.id_type"); break;
                case Nested.Owner when name == "id_value": _ownerIdValue = v.AsText("owner_details.id_value"); break;
                case Nested.Group when name == "id_type": _groupIdType = v.AsText("group_details.id_type"); break;
                case Nested.Group when name == "id_value": _groupIdValue = v.AsText("group_details.id_value"); break;
                case Nested.Extended:
                    var field = "extended_attributes." + name;
                    switch (name)
                    {
                        case "read_only": _eaReadOnly = v.AsBool(field); break;
                        case "hidden": _eaHidden = v.AsBool(field); break;
                        case "system": _eaSystem = v.AsBool(field); break;
                        case "archive": _eaArchive = v.AsBool(field); break;
                        case "temporary": _eaTemporary = v.AsBool(field); break;
                        case "compressed": _eaCompressed = v.AsBool(field); break;
                        case "not_content_indexed": _eaNotContentIndexed = v.AsBool(field); break;
                        case "sparse_file": _eaSparseFile = v.AsBool(field); break;
                        case "offline": _eaOffline = v.AsBool(field); break;
                        default: break;
                    }

                    break;
                default:
                    break;
            }
        }

        private static bool IsKnownScalar(string name) => name is "path" or "name" or "num_links" or "type"
            or "symlink_target_type" or "id" or "file_number" or "mode" or "owner" or "group" or "blocks"
            or "datablocks" or "metablocks" or "size" or "access_time" or "modification_time" or "change_time"
            or "creation_time" or "child_count" or "directory_entry_hash_policy" or "data_revision"
            or "user_metadata_revision";

        public FileRecord Build(DateTimeOffset? ingestTs)
        {
            if (string.IsNullOrEmpty(_path))
            {
                throw new FileRecordFormatException("path", _path, "every attribute object needs a path");
            }

            return new FileRecord
            {
                Path = _path,
                Name = _name,
                NumLinks = _numLinks,
                Type = KnownValues.Share(_type),
                MajorMinorMajor = _major,
                MajorMinorMinor = _minor,
                SymlinkTargetType = KnownValues.Share(_symlinkTargetType),
                Id = _id,
                FileNumber = _fileNumber is not null && _fileNumber == _id ? null : _fileNumber,
                Mode = _mode,
                Owner = _owner,
                OwnerIdType = KnownValues.Share(_ownerIdType),
                OwnerIdValue = _ownerIdValue,
                Group = _group,
                GroupIdType = KnownValues.Share(_groupIdType),
                GroupIdValue = _groupIdValue,
                Blocks = _blocks,
                Datablocks = _datablocks,
                Metablocks = _metablocks,
                Size = _size,
                AccessTime = _atime,
                ModificationTime = _mtime,
                ChangeTime = _ctime,
                CreationTime = _btime,
                ChildCount = _childCount,
                EaReadOnly = _eaReadOnly,
                EaHidden = _eaHidden,
                EaSystem = _eaSystem,
                EaArchive = _eaArchive,
                EaTemporary = _eaTemporary,
                EaCompressed = _eaCompressed,
                EaNotContentIndexed = _eaNotContentIndexed,
                EaSparseFile = _eaSparseFile,
                EaOffline = _eaOffline,
                DirectoryEntryHashPolicy = KnownValues.Share(_hashPolicy),
                DataRevision = _dataRevision,
                UserMetadataRevision = _userMetadataRevision,
                IngestTs = ingestTs is { } ts ? TruncateToMicros(ts) : null,
            };
        }
    }

    /// <summary>Iceberg keeps microseconds; anything finer is dropped so round trips compare equal.</summary>
    public static DateTimeOffset TruncateToMicros(DateTimeOffset value)
    {
        var utc = value.UtcTicks;
        return new DateTimeOffset(utc - (utc % 10), TimeSpan.Zero);
    }
}
