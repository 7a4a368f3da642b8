namespace Qindex.Qumulo;

/// <summary>
/// The privilege a call needs, to name in the error when a cluster answers 403. Qumulo grants
/// snapshot and notify rights through RBAC privileges and file writes through the file's
/// permissions; a user such as a read-only auditor has neither.
/// </summary>
internal static class Privileges
{
    public static string RequiredFor(string method, string path)
    {
        var query = path.IndexOf('?', StringComparison.Ordinal);
        var route = (query < 0 ? path : path[..query]).TrimStart('/');
        if (route.StartsWith("v2/snapshots", StringComparison.Ordinal))
        {
            return method is "POST" or "DELETE" or "PATCH"
                ? "PRIVILEGE_SNAPSHOT_WRITE"
                : route.Contains("/changes-since/", StringComparison.Ordinal) ? "PRIVILEGE_SNAPSHOT_DIFFERENCE_READ" : "PRIVILEGE_SNAPSHOT_READ";
        }

        if (route.EndsWith("/notify", StringComparison.Ordinal))
        {
            return path.Contains("recursive=true", StringComparison.Ordinal)
                ? "the DATA_ADMINISTRATOR role (recursive change notification)"
                : "read access to the watched directory";
        }

        if (route.StartsWith("v1/file-system/settings", StringComparison.Ordinal))
        {
            return method == "GET" ? "PRIVILEGE_FS_SETTINGS_READ" : "PRIVILEGE_FS_SETTINGS_WRITE";
        }

        return method == "GET" ? "read access to the file (PRIVILEGE_FS_ATTRIBUTES_READ)" : "write access to the file (PRIVILEGE_FILE_FULL_ACCESS)";
    }
}
