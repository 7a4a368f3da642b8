namespace Qindex.Simulator.Model;

/// <summary>
/// A failure the cluster reports to its client: the HTTP status and the Qumulo error body fields
/// (<c>module</c>, <c>error_class</c>, <c>description</c>), so the HTTP layer can render it as-is.
/// </summary>
public sealed class ClusterException : Exception
{
    public ClusterException(int statusCode, string module, string errorClass, string description)
        : base(description)
    {
        StatusCode = statusCode;
        Module = module;
        ErrorClass = errorClass;
        Description = description;
    }

    public ClusterException()
        : this(500, "qfsd", "internal_error", "internal error")
    {
    }

    public ClusterException(string message)
        : this(500, "qfsd", "internal_error", message)
    {
    }

    public ClusterException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = 500;
        Module = "qfsd";
        ErrorClass = "internal_error";
        Description = message;
    }

    /// <summary>HTTP status code to answer with.</summary>
    public int StatusCode { get; }

    /// <summary>Qumulo <c>module</c> field.</summary>
    public string Module { get; }

    /// <summary>Qumulo <c>error_class</c> field, e.g. <c>fs_no_such_entry_error</c>.</summary>
    public string ErrorClass { get; }

    /// <summary>Qumulo <c>description</c> field.</summary>
    public string Description { get; }

    /// <summary>Errors always carry <c>user_visible: true</c> in the body.</summary>
    public bool UserVisible => true;

    public static ClusterException NoSuchEntry(string what) =>
        new(404, "qfsd.fs", "fs_no_such_entry_error", $"{what}: no such file or directory");

    public static ClusterException EntryExists(string what) =>
        new(409, "qfsd.fs", "fs_entry_exists_error", $"{what}: file exists");

    public static ClusterException NotADirectory(string what) =>
        new(409, "qfsd.fs", "fs_not_a_directory_error", $"{what}: not a directory");

    public static ClusterException IsADirectory(string what) =>
        new(409, "qfsd.fs", "fs_is_a_directory_error", $"{what}: is a directory");

    public static ClusterException DirectoryNotEmpty(string what) =>
        new(409, "qfsd.fs", "fs_directory_not_empty_error", $"{what}: directory not empty");

    public static ClusterException InvalidArgument(string description) =>
        new(400, "qfsd.fs", "fs_invalid_argument_error", description);

    public static ClusterException NoSuchSnapshot(long id) =>
        new(404, "qfsd.snapshot", "snapshot_not_found_error", $"snapshot {id} does not exist");

    public static ClusterException NoSuchStream(string name) =>
        new(404, "qfsd.fs", "fs_no_such_entry_error", $"named stream '{name}': no such stream");

    public static ClusterException BadRequest(string description) =>
        new(400, "http", "http_bad_request_error", description);
}
