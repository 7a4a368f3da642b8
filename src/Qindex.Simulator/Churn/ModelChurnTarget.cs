using System.Globalization;
using System.Runtime.CompilerServices;
using Qindex.Qumulo;
using Qindex.Simulator.Http;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Churn;

/// <summary>
/// The churn target that is the simulator's model itself: each call is the model method the REST
/// endpoint would call with the same arguments, so the state and the notifications are those the
/// REST mutations give, without HTTP in between. Data is not stored, only its length, as over REST.
/// </summary>
internal sealed class ModelChurnTarget(ClusterModel model) : IChurnTarget
{
    private long _calls;
    private long _mutations;

    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Calls that changed the tree (listings and lookups excluded): the load's changes.</summary>
    public long Mutations => Interlocked.Read(ref _mutations);

    public ValueTask<(string Id, bool IsDirectory)?> LookupAsync(string path, CancellationToken ct)
    {
        Count();
        try
        {
            var attributes = model.GetAttributes(path);
            return ValueTask.FromResult<(string, bool)?>((Id(attributes.Id), attributes.Type == FileType.Directory));
        }
        catch (ClusterException e) when (e.StatusCode == 404)
        {
            return ValueTask.FromResult<(string, bool)?>(null);
        }
    }

    public async IAsyncEnumerable<ChurnListing> ListAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
    {
        string? after = null;
        do
        {
            ct.ThrowIfCancellationRequested();
            Count();
            var page = model.ListEntries(directory, 1000, after);
            foreach (var f in page.Files)
            {
                var kind = f.Type switch
                {
                    FileType.Directory => ChurnKind.Directory,
                    FileType.File => ChurnKind.File,
                    FileType.Symlink => ChurnKind.Symlink,
                    _ => ChurnKind.Other,
                };
                yield return new ChurnListing(f.Name, f.Path, kind, Id(f.Id));
            }

            after = page.Next;
        }
        while (after is not null);
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask<string> CreateAsync(string parent, string name, ChurnKind kind, string? symlinkTarget, CancellationToken ct)
    {
        Mutated();
        var created = kind switch
        {
            ChurnKind.Directory => model.CreateDirectory(parent, name),
            ChurnKind.Symlink => model.CreateSymlink(parent, name, symlinkTarget!),
            _ => model.CreateFile(parent, name),
        };
        return ValueTask.FromResult(Id(created.Id));
    }

    public ValueTask CreateLinkAsync(string parent, string name, string existingPath, CancellationToken ct)
    {
        Mutated();
        model.CreateLink(parent, name, existingPath);
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(string reference, long offset, ReadOnlyMemory<byte> data, bool replace, CancellationToken ct)
    {
        Mutated();
        if (replace)
        {
            model.ReplaceData(reference, data.Length);
        }
        else
        {
            model.WriteData(reference, offset, data.Length);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask PatchAttributesAsync(string reference, AttributeChanges changes, CancellationToken ct)
    {
        Mutated();
        model.PatchAttributes(reference, ToPatch(changes));
        return ValueTask.CompletedTask;
    }

    public ValueTask RenameAsync(string parent, string name, string oldPath, bool clobber, CancellationToken ct)
    {
        Mutated();
        model.Rename(parent, name, oldPath, clobber);
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteAsync(string reference, CancellationToken ct)
    {
        Mutated();
        model.Delete(reference);
        return ValueTask.CompletedTask;
    }

    public ValueTask<string> CreateStreamAsync(string fileId, string name, CancellationToken ct)
    {
        Mutated();
        return ValueTask.FromResult(model.CreateStream(fileId, name).Id);
    }

    public ValueTask WriteStreamAsync(string fileId, string streamId, long offset, ReadOnlyMemory<byte> data, bool replace, CancellationToken ct)
    {
        Mutated();
        if (replace)
        {
            model.ReplaceStreamData(fileId, streamId, data.Length);
        }
        else
        {
            model.WriteStream(fileId, streamId, offset, data.Length);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteStreamAsync(string fileId, string streamId, CancellationToken ct)
    {
        Mutated();
        model.DeleteStream(fileId, streamId);
        return ValueTask.CompletedTask;
    }

    /// <summary>Whether anything is at <paramref name="path"/> now.</summary>
    public bool Exists(string path)
    {
        try
        {
            model.GetAttributes(path);
            return true;
        }
        catch (ClusterException e) when (e.StatusCode == 404)
        {
            return false;
        }
    }

    /// <summary>Applies one change to the model directly (for shapes of load the churn does not draw), counted as a mutation.</summary>
    public void Apply(Action<ClusterModel> mutation)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        Mutated();
        mutation(model);
    }

    /// <summary>The patch the PATCH endpoint would build from the body the REST client sends for <paramref name="changes"/>.</summary>
    internal static AttributePatch ToPatch(AttributeChanges changes)
    {
        ExtendedAttributesChange? flags = null;
        if (changes.ExtendedAttributes is { } requested)
        {
            flags = new ExtendedAttributesChange();
            foreach (var (name, on) in requested)
            {
                flags = AttributePatchJson.WithFlag(flags, name, on);
            }
        }

        return new AttributePatch
        {
            Mode = changes.Mode is { } mode ? ApiNames.ParseMode(mode) : null,
            Owner = changes.Owner is { } owner ? long.Parse(owner, NumberStyles.None, CultureInfo.InvariantCulture) : null,
            Group = changes.Group is { } group ? long.Parse(group, NumberStyles.None, CultureInfo.InvariantCulture) : null,
            OwnerDetails = changes.OwnerDetails is { } o ? new Identity(ApiNames.ParseIdentityType(o.IdType), o.IdValue) : null,
            GroupDetails = changes.GroupDetails is { } g ? new Identity(ApiNames.ParseIdentityType(g.IdType), g.IdValue) : null,
            Size = changes.Size,
            AccessTime = changes.AccessTime is { } atime ? FsTimestamp.Parse(atime) : null,
            ModificationTime = changes.ModificationTime is { } mtime ? FsTimestamp.Parse(mtime) : null,
            ChangeTime = changes.ChangeTime is { } ctime ? FsTimestamp.Parse(ctime) : null,
            CreationTime = changes.CreationTime is { } btime ? FsTimestamp.Parse(btime) : null,
            ExtendedAttributesChange = flags,
        };
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private void Count() => Interlocked.Increment(ref _calls);

    private void Mutated()
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Increment(ref _mutations);
    }
}
