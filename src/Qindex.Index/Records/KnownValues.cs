using System.Collections.Frozen;

namespace Qindex.Index.Records;

/// <summary>
/// The cluster's enumeration values (file types, identity kinds, hash policies): parsed rows share
/// one string instance per value instead of holding a copy each. A crawl buffers a sort run of
/// rows; without this, these copies were a third of a row's memory.
/// </summary>
internal static class KnownValues
{
    private static readonly FrozenSet<string> Values = new[]
    {
        "FS_FILE_TYPE_FILE", "FS_FILE_TYPE_DIRECTORY", "FS_FILE_TYPE_SYMLINK", "FS_FILE_TYPE_UNIX_PIPE",
        "FS_FILE_TYPE_UNIX_CHARACTER_DEVICE", "FS_FILE_TYPE_UNIX_BLOCK_DEVICE", "FS_FILE_TYPE_UNIX_SOCKET", "FS_FILE_TYPE_UNKNOWN",
        "NFS_UID", "NFS_GID", "SMB_SID", "LOCAL_USER", "LOCAL_GROUP", "INTERNAL", "QUMULO_OPERATOR",
        "DIRECTORY_HASH_VERSION_FOLDED", "DIRECTORY_HASH_VERSION_LOWER",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The shared instance of <paramref name="value"/> when it is a known value; otherwise <paramref name="value"/> itself.</summary>
    public static string? Share(string? value) =>
        value is not null && Values.TryGetValue(value, out var shared) ? shared : value;
}
