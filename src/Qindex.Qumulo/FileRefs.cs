namespace Qindex.Qumulo;

/// <summary>
/// Builds the <c>{ref}</c> segment of a files URL: a numeric id as it is, or an absolute path
/// URL-encoded with nothing kept safe (so '/' becomes %2F, and quotes, '%', '#', '?', newlines
/// and non-ASCII are all escaped).
/// </summary>
public static class FileRefs
{
    public static string Encode(string idOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(idOrPath);
        if (idOrPath.All(char.IsAsciiDigit))
        {
            return idOrPath;
        }

        if (!idOrPath.StartsWith('/'))
        {
            throw new ArgumentException($"A file reference must be a numeric id or an absolute path, not '{idOrPath}'.", nameof(idOrPath));
        }

        return Uri.EscapeDataString(idOrPath);
    }

    /// <summary>Joins a notification's path (relative to the watched directory, with or without a leading or trailing '/') onto the watched path.</summary>
    public static string JoinRelative(string watchedPath, string relative, bool isDirectory)
    {
        var root = watchedPath.EndsWith('/') ? watchedPath : watchedPath + "/";
        var trimmed = relative.Trim('/');
        if (trimmed.Length == 0)
        {
            return root;
        }

        return isDirectory ? root + trimmed + "/" : root + trimmed;
    }
}
