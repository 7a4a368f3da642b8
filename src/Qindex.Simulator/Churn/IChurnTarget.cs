using Qindex.Qumulo;

namespace Qindex.Simulator.Churn;

/// <summary>One directory entry as a listing gives it to the workload.</summary>
internal readonly record struct ChurnListing(string Name, string Path, ChurnKind Kind, string Id);

/// <summary>
/// What the churn workload changes: a cluster through its REST API (<see cref="RestChurnTarget"/>),
/// or the simulator's model directly (<see cref="ModelChurnTarget"/>, the in-simulator load). The
/// workload draws the same steps against either, so both apply the same mix of mutations and, on
/// the simulator, emit the same notifications. References are absolute paths or ids, as in the API.
/// </summary>
internal interface IChurnTarget
{
    /// <summary>Calls made so far (REST requests, or model operations).</summary>
    long Calls { get; }

    /// <summary>The id of the directory at <paramref name="path"/>; null when nothing is there.</summary>
    ValueTask<(string Id, bool IsDirectory)?> LookupAsync(string path, CancellationToken ct);

    /// <summary>Every entry of a directory, in the cluster's listing order.</summary>
    IAsyncEnumerable<ChurnListing> ListAsync(string directory, CancellationToken ct);

    /// <summary>Creates a file, directory or symlink; returns its id.</summary>
    ValueTask<string> CreateAsync(string parent, string name, ChurnKind kind, string? symlinkTarget, CancellationToken ct);

    ValueTask CreateLinkAsync(string parent, string name, string existingPath, CancellationToken ct);

    /// <summary>Replaces a file's data (<paramref name="replace"/>) or writes it at <paramref name="offset"/>.</summary>
    ValueTask WriteAsync(string reference, long offset, ReadOnlyMemory<byte> data, bool replace, CancellationToken ct);

    ValueTask PatchAttributesAsync(string reference, AttributeChanges changes, CancellationToken ct);

    ValueTask RenameAsync(string parent, string name, string oldPath, bool clobber, CancellationToken ct);

    ValueTask DeleteAsync(string reference, CancellationToken ct);

    /// <summary>Creates a named stream; returns its id.</summary>
    ValueTask<string> CreateStreamAsync(string fileId, string name, CancellationToken ct);

    ValueTask WriteStreamAsync(string fileId, string streamId, long offset, ReadOnlyMemory<byte> data, bool replace, CancellationToken ct);

    ValueTask DeleteStreamAsync(string fileId, string streamId, CancellationToken ct);
}
