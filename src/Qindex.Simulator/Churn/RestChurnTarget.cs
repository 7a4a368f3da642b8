using System.Net;
using System.Runtime.CompilerServices;
using Qindex.Qumulo;

namespace Qindex.Simulator.Churn;

/// <summary>The churn target that is a cluster behind its REST API: every step is one or more requests.</summary>
internal sealed class RestChurnTarget(QumuloClient client) : IChurnTarget
{
    public long Calls => client.RequestCount;

    public async ValueTask<(string Id, bool IsDirectory)?> LookupAsync(string path, CancellationToken ct)
    {
        try
        {
            var attributes = await client.GetAttributesAsync(path, null, ct).ConfigureAwait(false);
            return (attributes.GetProperty("id").GetString()!, attributes.GetProperty("type").GetString() == "FS_FILE_TYPE_DIRECTORY");
        }
        catch (QumuloApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<ChurnListing> ListAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var child in client.ListEntriesAsync(directory, null, 1000, ct).ConfigureAwait(false))
        {
            var kind = child.GetProperty("type").GetString() switch
            {
                "FS_FILE_TYPE_DIRECTORY" => ChurnKind.Directory,
                "FS_FILE_TYPE_FILE" => ChurnKind.File,
                "FS_FILE_TYPE_SYMLINK" => ChurnKind.Symlink,
                _ => ChurnKind.Other,
            };
            yield return new ChurnListing(child.GetProperty("name").GetString()!, child.GetProperty("path").GetString()!, kind, child.GetProperty("id").GetString()!);
        }
    }

    public async ValueTask<string> CreateAsync(string parent, string name, ChurnKind kind, string? symlinkTarget, CancellationToken ct)
    {
        var created = kind switch
        {
            ChurnKind.Directory => await client.CreateDirectoryAsync(parent, name, ct).ConfigureAwait(false),
            ChurnKind.Symlink => await client.CreateSymlinkAsync(parent, name, symlinkTarget!, ct).ConfigureAwait(false),
            _ => await client.CreateFileAsync(parent, name, ct).ConfigureAwait(false),
        };
        return created.GetProperty("id").GetString()!;
    }

    public async ValueTask CreateLinkAsync(string parent, string name, string existingPath, CancellationToken ct) =>
        await client.CreateLinkAsync(parent, name, existingPath, ct).ConfigureAwait(false);

    public async ValueTask WriteAsync(string reference, long offset, ReadOnlyMemory<byte> data, bool replace, CancellationToken ct)
    {
        if (replace)
        {
            await client.ReplaceDataAsync(reference, data, ct).ConfigureAwait(false);
        }
        else
        {
            await client.WriteDataAsync(reference, offset, data, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask PatchAttributesAsync(string reference, AttributeChanges changes, CancellationToken ct) =>
        await client.PatchAttributesAsync(reference, changes, ct).ConfigureAwait(false);

    public async ValueTask RenameAsync(string parent, string name, string oldPath, bool clobber, CancellationToken ct) =>
        await client.RenameAsync(parent, name, oldPath, clobber, ct).ConfigureAwait(false);

    public async ValueTask DeleteAsync(string reference, CancellationToken ct) =>
        await client.DeleteAsync(reference, ct).ConfigureAwait(false);

    public async ValueTask<string> CreateStreamAsync(string fileId, string name, CancellationToken ct) =>
        (await client.CreateStreamAsync(fileId, name, ct).ConfigureAwait(false)).Id;

    public async ValueTask WriteStreamAsync(string fileId, string streamId, long offset, ReadOnlyMemory<byte> data, bool replace, CancellationToken ct)
    {
        if (replace)
        {
            await client.ReplaceStreamDataAsync(fileId, streamId, data, ct).ConfigureAwait(false);
        }
        else
        {
            await client.WriteStreamAsync(fileId, streamId, offset, data, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DeleteStreamAsync(string fileId, string streamId, CancellationToken ct) =>
        await client.DeleteStreamAsync(fileId, streamId, ct).ConfigureAwait(false);
}
