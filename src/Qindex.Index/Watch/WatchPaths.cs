namespace Qindex.Index.Watch;

/// <summary>Path arithmetic of the index: absolute paths, directories ending with '/'.</summary>
public static class WatchPaths
{
    /// <summary>The directory form of <paramref name="path"/> (ends with '/').</summary>
    public static string AsDirectory(string path) => path.EndsWith('/') ? path : path + "/";

    /// <summary>The path without a trailing '/' (the root stays "/").</summary>
    public static string WithoutSlash(string path) => path.Length > 1 && path.EndsWith('/') ? path[..^1] : path;

    /// <summary>The directory holding <paramref name="path"/> ("/a/b/" and "/a/b" give "/a/"), or null for "/".</summary>
    public static string? Parent(string path)
    {
        var trimmed = WithoutSlash(path);
        if (trimmed == "/")
        {
            return null;
        }

        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? null : trimmed[..(slash + 1)];
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> itself or lies under it.</summary>
    public static bool IsUnder(string path, string directory) =>
        path.StartsWith(directory, StringComparison.Ordinal) || WithoutSlash(path) == WithoutSlash(directory);

    /// <summary>The last component of <paramref name="path"/>.</summary>
    public static string Name(string path)
    {
        var trimmed = WithoutSlash(path);
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }
}
