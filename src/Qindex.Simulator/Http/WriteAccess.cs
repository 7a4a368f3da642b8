using Qindex.Simulator.Model;

namespace Qindex.Simulator.Http;

/// <summary>
/// Which calls change the cluster, and the refusal a user without the right gets: a Qumulo-style
/// 403 naming what is missing, as a real cluster answers an auditor's account. File changes are
/// governed by the file's permissions (fs_access_denied_error), snapshots and settings by RBAC
/// privileges (http_forbidden_error). A user whose role leaves out the snapshot privileges is
/// refused every snapshot call, reads included.
/// </summary>
internal static class WriteAccess
{
    /// <summary>The refusal for <paramref name="user"/> calling <paramref name="method"/> on <paramref name="segments"/>, or null when allowed.</summary>
    public static ClusterException? Refusal(SimUser user, string method, string[] segments)
    {
        if (!user.Snapshots && segments is ["v2", "snapshots", ..])
        {
            var privilege = method is "GET" or "HEAD"
                ? segments is [_, _, _, "changes-since", ..] ? "PRIVILEGE_SNAPSHOT_DIFFERENCE_READ" : "PRIVILEGE_SNAPSHOT_READ"
                : "PRIVILEGE_SNAPSHOT_WRITE";
            return new ClusterException(403, "qfsd", "http_forbidden_error", $"user {user.Name} lacks {privilege}");
        }

        if (user.DataAdministrator || method is "GET" or "HEAD")
        {
            return null;
        }

        if (segments is ["v1", "files", "resolve"])
        {
            return null; // A POST that only reads.
        }

        if (segments is ["v2", "snapshots", ..])
        {
            return new ClusterException(403, "qfsd", "http_forbidden_error", $"user {user.Name} lacks PRIVILEGE_SNAPSHOT_WRITE");
        }

        if (segments is ["v1", "file-system", "settings", ..])
        {
            return new ClusterException(403, "qfsd", "http_forbidden_error", $"user {user.Name} lacks PRIVILEGE_FS_SETTINGS_WRITE");
        }

        if (segments is ["v1", "files", ..])
        {
            return new ClusterException(403, "qfsd.fs", "fs_access_denied_error", $"user {user.Name} may not change this file: permission denied (needs PRIVILEGE_FILE_FULL_ACCESS or write permission)");
        }

        return null;
    }
}
