using System.Globalization;

namespace Qindex.Simulator.Model;

/// <summary>The kind of a file system object (Qumulo's <c>FS_FILE_TYPE_*</c>).</summary>
public enum FileType
{
    File,
    Directory,
    Symlink,
    UnixPipe,
    UnixCharacterDevice,
    UnixBlockDevice,
    UnixSocket,
}

/// <summary>What a symlink points at, as far as the cluster knows (<c>symlink_target_type</c>).</summary>
public enum SymlinkTargetType
{
    Unknown,
    File,
    Directory,
}

/// <summary>The kind of an identity in <c>owner_details</c> / <c>group_details</c>.</summary>
public enum IdentityType
{
    LocalUser,
    LocalGroup,
    NfsGid,
    NfsUid,
    SmbSid,
    Internal,
    QumuloOperator,
}

/// <summary>The directory hashing policy reported in <c>directory_entry_hash_policy</c>.</summary>
public enum DirectoryHashPolicy
{
    Lower,
    Folded,
}

/// <summary>Conversions between the model's enums and the strings of the REST API.</summary>
public static class ApiNames
{
    public static string ToApi(this FileType type) => type switch
    {
        FileType.File => "FS_FILE_TYPE_FILE",
        FileType.Directory => "FS_FILE_TYPE_DIRECTORY",
        FileType.Symlink => "FS_FILE_TYPE_SYMLINK",
        FileType.UnixPipe => "FS_FILE_TYPE_UNIX_PIPE",
        FileType.UnixCharacterDevice => "FS_FILE_TYPE_UNIX_CHARACTER_DEVICE",
        FileType.UnixBlockDevice => "FS_FILE_TYPE_UNIX_BLOCK_DEVICE",
        FileType.UnixSocket => "FS_FILE_TYPE_UNIX_SOCKET",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static FileType ParseFileType(string value) => value switch
    {
        "FS_FILE_TYPE_FILE" => FileType.File,
        "FS_FILE_TYPE_DIRECTORY" => FileType.Directory,
        "FS_FILE_TYPE_SYMLINK" => FileType.Symlink,
        "FS_FILE_TYPE_UNIX_PIPE" => FileType.UnixPipe,
        "FS_FILE_TYPE_UNIX_CHARACTER_DEVICE" => FileType.UnixCharacterDevice,
        "FS_FILE_TYPE_UNIX_BLOCK_DEVICE" => FileType.UnixBlockDevice,
        "FS_FILE_TYPE_UNIX_SOCKET" => FileType.UnixSocket,
        _ => throw ClusterException.BadRequest($"unknown file type '{value}'"),
    };

    public static string ToApi(this SymlinkTargetType type) => type switch
    {
        SymlinkTargetType.Unknown => "FS_FILE_TYPE_UNKNOWN",
        SymlinkTargetType.File => "FS_FILE_TYPE_FILE",
        SymlinkTargetType.Directory => "FS_FILE_TYPE_DIRECTORY",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static SymlinkTargetType ParseSymlinkTargetType(string value) => value switch
    {
        "FS_FILE_TYPE_UNKNOWN" => SymlinkTargetType.Unknown,
        "FS_FILE_TYPE_FILE" => SymlinkTargetType.File,
        "FS_FILE_TYPE_DIRECTORY" => SymlinkTargetType.Directory,
        _ => throw ClusterException.BadRequest($"unknown symlink target type '{value}'"),
    };

    public static string ToApi(this IdentityType type) => type switch
    {
        IdentityType.LocalUser => "LOCAL_USER",
        IdentityType.LocalGroup => "LOCAL_GROUP",
        IdentityType.NfsGid => "NFS_GID",
        IdentityType.NfsUid => "NFS_UID",
        IdentityType.SmbSid => "SMB_SID",
        IdentityType.Internal => "INTERNAL",
        IdentityType.QumuloOperator => "QUMULO_OPERATOR",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static IdentityType ParseIdentityType(string value) => value switch
    {
        "LOCAL_USER" => IdentityType.LocalUser,
        "LOCAL_GROUP" => IdentityType.LocalGroup,
        "NFS_GID" => IdentityType.NfsGid,
        "NFS_UID" => IdentityType.NfsUid,
        "SMB_SID" => IdentityType.SmbSid,
        "INTERNAL" => IdentityType.Internal,
        "QUMULO_OPERATOR" => IdentityType.QumuloOperator,
        _ => throw ClusterException.BadRequest($"unknown identity type '{value}'"),
    };

    public static string ToApi(this DirectoryHashPolicy policy) => policy switch
    {
        DirectoryHashPolicy.Lower => "FS_DIRECTORY_HASH_VERSION_LOWER",
        DirectoryHashPolicy.Folded => "FS_DIRECTORY_HASH_VERSION_FOLDED",
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };

    /// <summary>Formats a mode the way the API does: four octal digits, e.g. <c>0755</c>.</summary>
    public static string FormatMode(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');

    /// <summary>Parses an octal mode string such as <c>0644</c>.</summary>
    public static int ParseMode(string mode)
    {
        if (string.IsNullOrEmpty(mode) || mode.Length > 6 || mode.Any(c => c < '0' || c > '7'))
        {
            throw ClusterException.BadRequest($"mode must be an octal string such as 0644, got '{mode}'");
        }

        return Convert.ToInt32(mode, 8);
    }

    /// <summary>Formats an id or number the way the API does (decimal string).</summary>
    public static string FormatNumber(long value) => value.ToString(CultureInfo.InvariantCulture);
}
