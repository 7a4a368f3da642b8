using System.Collections.Immutable;
using System.Text;

namespace Qindex.Simulator.Model;

/// <content>Mutations. Each runs under the write gate, commits a new immutable state, records the
/// touched ids for changes-since, then publishes its notifications (see docs/simulator-event-model.md).</content>
public sealed partial class ClusterModel
{
    private readonly List<(long Version, long Id)> _changeLog = [];
    private long _eventsEmitted;

    /// <summary>
    /// Notifications the mutations have produced so far, before they are shaped for each watcher:
    /// what a recursive watch on the root receives, except events about the root itself (its mtime
    /// when its own entries change) and <c>self_removed</c>, which only a watch on the removed
    /// directory gets. For load measurements.
    /// </summary>
    public long EventsEmitted => Interlocked.Read(ref _eventsEmitted);

    /// <summary>CREATE_FILE: a new empty regular file.</summary>
    public FsAttributes CreateFile(string parent, string name) =>
        CreateObject(parent, name, FileType.File, MajorMinorNumbers.None, SymlinkTargetType.Unknown, null);

    /// <summary>CREATE_DIRECTORY: a new empty directory.</summary>
    public FsAttributes CreateDirectory(string parent, string name) =>
        CreateObject(parent, name, FileType.Directory, MajorMinorNumbers.None, SymlinkTargetType.Unknown, null);

    /// <summary>CREATE_SYMLINK: a symlink whose size is the target's UTF-8 length.</summary>
    public FsAttributes CreateSymlink(string parent, string name, string target, SymlinkTargetType targetType = SymlinkTargetType.Unknown)
    {
        if (string.IsNullOrEmpty(target))
        {
            throw ClusterException.InvalidArgument("a symlink needs a non-empty target");
        }

        return CreateObject(parent, name, FileType.Symlink, MajorMinorNumbers.None, targetType, target);
    }

    /// <summary>CREATE_UNIX_FILE: a device file, pipe or socket (or a plain file/directory).</summary>
    public FsAttributes CreateUnixFile(string parent, string name, FileType type, MajorMinorNumbers? numbers = null)
    {
        if (type == FileType.Symlink)
        {
            throw ClusterException.InvalidArgument("use CREATE_SYMLINK to create a symlink");
        }

        bool device = type is FileType.UnixBlockDevice or FileType.UnixCharacterDevice;
        return CreateObject(parent, name, type, device ? numbers ?? MajorMinorNumbers.None : MajorMinorNumbers.None, SymlinkTargetType.Unknown, null);
    }

    private FsAttributes CreateObject(string parent, string name, FileType type, MajorMinorNumbers device, SymlinkTargetType targetType, string? target)
    {
        ValidateName(name);
        return Mutate(tx =>
        {
            var (dir, dirPath) = tx.Old.Resolve(parent);
            RequireDirectory(dir, dirPath);
            if (tx.Old.TryLookup(dir.Id, name, out _))
            {
                throw ClusterException.EntryExists(dirPath + name);
            }

            var now = tx.Now;
            long id = tx.NextId++;
            long size = target is null ? 0 : Encoding.UTF8.GetByteCount(target);
            var node = new NodeState(
                id, type, [new EntryLink(dir.Id, name)], device, targetType,
                type == FileType.Directory ? Convert.ToInt32("755", 8) : Convert.ToInt32("644", 8),
                AuthIds.For(AdminUser), AdminUser, AuthIds.For(UsersGroup), UsersGroup, size,
                now, now, now, now, ExtendedAttributes.None, 0, 0, [], 1, target, tx.Version);
            tx.Put(node);
            tx.AddEntry(dir.Id, name, id, id);
            tx.TouchDirectory(dir, now);
            var parentSpine = tx.Old.Spine(dir.Id, dir.Primary);
            string absolute = dirPath + name;
            tx.Event(type == FileType.Directory ? NotificationTypes.ChildDirAdded : NotificationTypes.ChildFileAdded, [.. parentSpine, id], absolute);
            tx.Event(NotificationTypes.ChildMtimeChanged, parentSpine, dirPath);
            return (id, absolute + (type == FileType.Directory ? "/" : string.Empty));
        });
    }

    /// <summary>CREATE_LINK: a new name for an existing non-directory object (num_links grows).</summary>
    public FsAttributes CreateLink(string parent, string name, string existing)
    {
        ValidateName(name);
        return Mutate(tx =>
        {
            var (dir, dirPath) = tx.Old.Resolve(parent);
            RequireDirectory(dir, dirPath);
            var (target, targetPath) = tx.Old.Resolve(existing);
            if (target.IsDirectory)
            {
                throw ClusterException.IsADirectory(targetPath);
            }

            if (tx.Old.TryLookup(dir.Id, name, out _))
            {
                throw ClusterException.EntryExists(dirPath + name);
            }

            var now = tx.Now;
            var updated = tx.Get(target.Id)! with { Links = target.Links.Add(new EntryLink(dir.Id, name)), ChangeTime = now, Stamp = tx.Version };
            tx.Put(updated);
            tx.AddEntry(dir.Id, name, target.Id, target.Id);
            tx.TouchDirectory(dir, now);
            var parentSpine = tx.Old.Spine(dir.Id, dir.Primary);
            tx.Event(NotificationTypes.ChildFileAdded, [.. parentSpine, target.Id], dirPath + name);
            tx.Event(NotificationTypes.ChildMtimeChanged, parentSpine, dirPath);
            return (target.Id, dirPath + name);
        });
    }

    /// <summary>
    /// RENAME: moves the entry at <paramref name="oldPath"/> to <paramref name="parent"/>/<paramref name="name"/>.
    /// An existing destination fails with fs_entry_exists_error unless <paramref name="clobber"/>.
    /// </summary>
    public FsAttributes Rename(string parent, string name, string oldPath, bool clobber = false)
    {
        ValidateName(name);
        if (string.IsNullOrEmpty(oldPath) || oldPath[0] != '/')
        {
            throw ClusterException.BadRequest("old_path must be an absolute path");
        }

        return Mutate(tx =>
        {
            var (dir, dirPath) = tx.Old.Resolve(parent);
            RequireDirectory(dir, dirPath);
            var (source, sourceLink) = tx.Old.ResolveLink(oldPath);
            if (source.Id == RootId)
            {
                throw ClusterException.InvalidArgument("the root directory cannot be renamed");
            }

            string sourcePath = tx.Old.PathOf(source, sourceLink)!;
            if (sourceLink.ParentId == dir.Id && sourceLink.Name == name)
            {
                return (source.Id, sourcePath);
            }

            var destinationSpine = tx.Old.Spine(dir.Id, dir.Primary);
            if (source.IsDirectory && destinationSpine.Contains(source.Id))
            {
                throw ClusterException.InvalidArgument($"cannot move '{sourcePath}' into itself");
            }

            var now = tx.Now;
            if (tx.Old.TryLookup(dir.Id, name, out long existingId))
            {
                if (!clobber)
                {
                    throw ClusterException.EntryExists(dirPath + name);
                }

                var existing = tx.Old.Node(existingId)!;
                if (existing.Id == source.Id)
                {
                    throw ClusterException.InvalidArgument("source and destination are links of the same file");
                }

                if (existing.IsDirectory && !source.IsDirectory)
                {
                    throw ClusterException.IsADirectory(dirPath + name);
                }

                if (!existing.IsDirectory && source.IsDirectory)
                {
                    throw ClusterException.NotADirectory(dirPath + name);
                }

                if (existing.IsDirectory && tx.Old.ChildCount(existing.Id) > 0)
                {
                    throw ClusterException.DirectoryNotEmpty(dirPath + name + "/");
                }

                RemoveLink(tx, existing, new EntryLink(dir.Id, name), now, touchParent: false);
            }

            var sourceParent = tx.Old.Node(sourceLink.ParentId)!;
            var oldSpine = tx.Old.Spine(source.Id, sourceLink);
            tx.RemoveEntry(sourceLink.ParentId, sourceLink.Name);
            tx.AddEntry(dir.Id, name, source.Id, source.Id);
            var current = tx.Get(source.Id)!;
            var links = current.Links.Replace(sourceLink, new EntryLink(dir.Id, name));
            tx.Put(current with { Links = links, ChangeTime = now, Stamp = tx.Version });
            tx.TouchDirectory(sourceParent, now);
            if (sourceParent.Id != dir.Id)
            {
                tx.TouchDirectory(dir, now);
            }

            string oldAbsolute = sourcePath.TrimEnd('/');
            string newAbsolute = dirPath + name;
            tx.Event(source.IsDirectory ? NotificationTypes.ChildDirMovedFrom : NotificationTypes.ChildFileMovedFrom, oldSpine, oldAbsolute);
            tx.Event(source.IsDirectory ? NotificationTypes.ChildDirMovedTo : NotificationTypes.ChildFileMovedTo, [.. destinationSpine, source.Id], newAbsolute);
            tx.Event(NotificationTypes.ChildMtimeChanged, oldSpine[..^1], tx.Old.DirectoryPath(sourceParent.Id)!);
            if (sourceParent.Id != dir.Id)
            {
                tx.Event(NotificationTypes.ChildMtimeChanged, destinationSpine, dirPath);
            }

            return (source.Id, newAbsolute + (source.IsDirectory ? "/" : string.Empty));
        });
    }

    /// <summary>PUT data: the file's contents are replaced by <paramref name="size"/> bytes.</summary>
    public FsAttributes ReplaceData(string reference, long size)
    {
        if (size < 0)
        {
            throw ClusterException.BadRequest("size must not be negative");
        }

        return Mutate(tx => WriteCore(tx, reference, 0, size, truncate: true));
    }

    /// <summary>PATCH data at an offset: <paramref name="length"/> bytes written at <paramref name="offset"/>; the file grows if needed.</summary>
    public FsAttributes WriteData(string reference, long offset, long length)
    {
        if (offset < 0 || length < 0)
        {
            throw ClusterException.BadRequest("offset and length must not be negative");
        }

        return Mutate(tx => WriteCore(tx, reference, offset, length, truncate: false));
    }

    private static (long, string) WriteCore(Tx tx, string reference, long offset, long length, bool truncate)
    {
        var (node, link) = tx.Old.ResolveLink(reference);
        string path = tx.Old.PathOf(node, link)!;
        if (node.IsDirectory)
        {
            throw ClusterException.IsADirectory(path);
        }

        if (node.Type != FileType.File)
        {
            throw ClusterException.InvalidArgument($"{path}: only regular files hold data");
        }

        var now = tx.Now;
        long newSize = truncate ? length : Math.Max(node.Size, offset + length);
        tx.Put(node with
        {
            Size = newSize,
            ModificationTime = now,
            ChangeTime = now,
            DataRevision = node.DataRevision + 1,
            Stamp = tx.Version,
        });
        tx.MarkDirty(link.ParentId);
        var spine = tx.Old.Spine(node.Id, link);
        tx.Event(NotificationTypes.ChildDataWritten, spine, path);
        if (newSize != node.Size)
        {
            tx.Event(NotificationTypes.ChildSizeChanged, spine, path);
        }

        tx.Event(NotificationTypes.ChildMtimeChanged, spine, path);
        return (node.Id, path);
    }

    /// <summary>PATCH attributes: owner, group, mode, times, extended attributes, size.</summary>
    public FsAttributes PatchAttributes(string reference, AttributePatch patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        return Mutate(tx =>
        {
            var (node, link) = tx.Old.ResolveLink(reference);
            string path = tx.Old.PathOf(node, link)!;
            if (patch.Size is not null && node.Type != FileType.File)
            {
                throw ClusterException.InvalidArgument($"{path}: size can only be set on a regular file");
            }

            if (patch.Size < 0)
            {
                throw ClusterException.BadRequest("size must not be negative");
            }

            var now = tx.Now;
            var spine = tx.Old.Spine(node.Id, link);
            var updated = node;
            var events = new List<string>();
            if (patch.OwnerDetails is not null || patch.Owner is not null)
            {
                var details = patch.OwnerDetails ?? node.OwnerDetails;
                long owner = patch.OwnerDetails is not null ? AuthIds.For(details) : patch.Owner!.Value;
                updated = updated with { Owner = owner, OwnerDetails = details };
                events.Add(NotificationTypes.ChildOwnerChanged);
            }

            if (patch.GroupDetails is not null || patch.Group is not null)
            {
                var details = patch.GroupDetails ?? node.GroupDetails;
                long group = patch.GroupDetails is not null ? AuthIds.For(details) : patch.Group!.Value;
                updated = updated with { Group = group, GroupDetails = details };
                events.Add(NotificationTypes.ChildGroupChanged);
            }

            if (patch.Mode is not null)
            {
                updated = updated with { Mode = patch.Mode.Value };
                events.Add(NotificationTypes.ChildAclChanged);
            }

            if (patch.Size is not null)
            {
                if (patch.Size.Value != node.Size)
                {
                    updated = updated with { Size = patch.Size.Value, ModificationTime = now, DataRevision = node.DataRevision + 1 };
                    events.Add(NotificationTypes.ChildSizeChanged);
                }
            }

            if (patch.AccessTime is not null)
            {
                updated = updated with { AccessTime = patch.AccessTime.Value };
                events.Add(NotificationTypes.ChildAtimeChanged);
            }

            if (patch.ModificationTime is not null)
            {
                updated = updated with { ModificationTime = patch.ModificationTime.Value };
                events.Add(NotificationTypes.ChildMtimeChanged);
            }

            if (patch.CreationTime is not null)
            {
                updated = updated with { CreationTime = patch.CreationTime.Value };
                events.Add(NotificationTypes.ChildBtimeChanged);
            }

            if (patch.ExtendedAttributes is not null || patch.ExtendedAttributesChange is not null)
            {
                var flags = patch.ExtendedAttributes ?? updated.ExtendedAttributes;
                updated = updated with { ExtendedAttributes = patch.ExtendedAttributesChange?.ApplyTo(flags) ?? flags };
                events.Add(NotificationTypes.ChildExtraAttrsChanged);
            }

            updated = updated with { ChangeTime = patch.ChangeTime ?? now, Stamp = tx.Version };
            tx.Put(updated);
            if (node.Id != RootId)
            {
                tx.MarkDirty(link.ParentId);
            }

            foreach (string type in events)
            {
                tx.Event(type, spine, path.TrimEnd('/'));
            }

            return (node.Id, path);
        });
    }

    /// <summary>DELETE: removes a file (one link of it) or an empty directory.</summary>
    public void Delete(string reference)
    {
        Mutate(tx =>
        {
            var (node, link) = tx.Old.ResolveLink(reference);
            string path = tx.Old.PathOf(node, link)!;
            if (node.Id == RootId)
            {
                throw ClusterException.InvalidArgument("the root directory cannot be deleted");
            }

            if (node.IsDirectory && tx.Old.ChildCount(node.Id) > 0)
            {
                throw ClusterException.DirectoryNotEmpty(path);
            }

            RemoveLink(tx, node, link, tx.Now, touchParent: true);
            return (0L, string.Empty);
        });
    }

    private static void RemoveLink(Tx tx, NodeState node, EntryLink link, FsTimestamp now, bool touchParent)
    {
        var spine = tx.Old.Spine(node.Id, link);
        string absolute = tx.Old.PathOf(node, link)!.TrimEnd('/');
        tx.RemoveEntry(link.ParentId, link.Name);
        var current = tx.Get(node.Id)!;
        var remaining = current.Links.Remove(link);
        if (remaining.IsEmpty)
        {
            tx.Delete(node.Id);
        }
        else
        {
            tx.Put(current with { Links = remaining, ChangeTime = now, Stamp = tx.Version });
        }

        var parent = tx.Old.Node(link.ParentId)!;
        tx.TouchDirectory(parent, now);
        if (node.IsDirectory)
        {
            tx.SelfRemoved(node.Id, spine);
        }

        tx.Event(node.IsDirectory ? NotificationTypes.ChildDirRemoved : NotificationTypes.ChildFileRemoved, spine, absolute);
        if (touchParent)
        {
            tx.Event(NotificationTypes.ChildMtimeChanged, spine[..^1], tx.Old.DirectoryPath(parent.Id)!);
        }
    }

    // ------------------------------------------------------------------ named streams

    /// <summary>Creates an empty named stream on a file.</summary>
    public NamedStream CreateStream(string reference, string streamName)
    {
        ValidateName(streamName);
        NamedStream? created = null;
        Mutate(tx =>
        {
            var (node, link, path) = StreamOwner(tx, reference);
            if (node.Streams.Any(s => s.Name == streamName))
            {
                throw ClusterException.EntryExists($"{path}:{streamName}");
            }

            var now = tx.Now;
            created = new NamedStream(node.NextStreamId.ToString(System.Globalization.CultureInfo.InvariantCulture), streamName, 0, 0);
            tx.Put(node with { Streams = node.Streams.Add(created), NextStreamId = node.NextStreamId + 1, ChangeTime = now, Stamp = tx.Version });
            tx.MarkDirty(link.ParentId);
            tx.Event(NotificationTypes.ChildStreamAdded, tx.Old.Spine(node.Id, link), path, streamName);
            return (node.Id, path);
        });
        return created!;
    }

    /// <summary>Writes <paramref name="length"/> bytes at <paramref name="offset"/> of a named stream (by name or stream id).</summary>
    public NamedStream WriteStream(string reference, string stream, long offset, long length) =>
        StreamWrite(reference, stream, offset, length, truncate: false);

    /// <summary>Replaces a named stream's data with <paramref name="size"/> bytes.</summary>
    public NamedStream ReplaceStreamData(string reference, string stream, long size) =>
        StreamWrite(reference, stream, 0, size, truncate: true);

    private NamedStream StreamWrite(string reference, string stream, long offset, long length, bool truncate)
    {
        if (offset < 0 || length < 0)
        {
            throw ClusterException.BadRequest("offset and length must not be negative");
        }

        NamedStream? written = null;
        Mutate(tx =>
        {
            var (node, link, path) = StreamOwner(tx, reference);
            var old = FindStream(node, stream);
            long newSize = truncate ? length : Math.Max(old.Size, offset + length);
            written = old with { Size = newSize, DataRevision = old.DataRevision + 1 };
            var now = tx.Now;
            tx.Put(node with { Streams = node.Streams.Replace(old, written), ChangeTime = now, Stamp = tx.Version });
            tx.MarkDirty(link.ParentId);
            var spine = tx.Old.Spine(node.Id, link);
            tx.Event(NotificationTypes.ChildStreamDataWritten, spine, path, old.Name);
            if (newSize != old.Size)
            {
                tx.Event(NotificationTypes.ChildStreamSizeChanged, spine, path, old.Name);
            }

            return (node.Id, path);
        });
        return written!;
    }

    /// <summary>Removes a named stream (by name or stream id).</summary>
    public void DeleteStream(string reference, string stream)
    {
        Mutate(tx =>
        {
            var (node, link, path) = StreamOwner(tx, reference);
            var old = FindStream(node, stream);
            tx.Put(node with { Streams = node.Streams.Remove(old), ChangeTime = tx.Now, Stamp = tx.Version });
            tx.MarkDirty(link.ParentId);
            tx.Event(NotificationTypes.ChildStreamRemoved, tx.Old.Spine(node.Id, link), path, old.Name);
            return (node.Id, path);
        });
    }

    private static (NodeState Node, EntryLink Link, string Path) StreamOwner(Tx tx, string reference)
    {
        var (node, link) = tx.Old.ResolveLink(reference);
        string path = tx.Old.PathOf(node, link)!;
        if (node.Type != FileType.File)
        {
            throw ClusterException.InvalidArgument($"{path}: only regular files have named streams");
        }

        return (tx.Get(node.Id)!, link, path);
    }

    private static NamedStream FindStream(NodeState node, string stream) =>
        node.Streams.FirstOrDefault(s => s.Name == stream) ?? node.Streams.FirstOrDefault(s => s.Id == stream)
        ?? throw ClusterException.NoSuchStream(stream);

    private static void RequireDirectory(NodeState node, string path)
    {
        if (!node.IsDirectory)
        {
            throw ClusterException.NotADirectory(path);
        }
    }

    // ------------------------------------------------------------------ transaction plumbing

    private FsAttributes Mutate(Func<Tx, (long Id, string Path)> action)
    {
        lock (_gate)
        {
            var tx = new Tx(this, _state);
            var (id, path) = action(tx);
            _state = tx.Commit();
            foreach (long touched in _snapshots.Count == 0 ? [] : tx.Touched)
            {
                _changeLog.Add((tx.Version, touched));
            }

            Publish(tx);
            Interlocked.Add(ref _eventsEmitted, tx.Events.Count);
            if (id == 0)
            {
                return null!;
            }

            var view = new View(this, _state, null);
            var node = view.Node(id)!;
            return view.ToAttributes(node, path);
        }
    }

    /// <summary>One mutation in progress: builders over the current state, touched ids, events.</summary>
    private sealed class Tx
    {
        private readonly ClusterModel _model;
        private readonly ImmutableDictionary<long, NodeState?>.Builder _nodes;
        private readonly ImmutableDictionary<long, DirOverlay>.Builder _dirs;
        private readonly ImmutableHashSet<long>.Builder _dirty;
        private FsTimestamp? _now;

        public Tx(ClusterModel model, ModelState state)
        {
            _model = model;
            Old = new View(model, state, null);
            _nodes = state.Nodes.ToBuilder();
            _dirs = state.Dirs.ToBuilder();
            _dirty = state.DirtyDirs.ToBuilder();
            Version = state.Version + 1;
            NextId = state.NextId;
        }

        /// <summary>The state before this mutation: resolve and compute paths/spines here.</summary>
        public View Old { get; }

        public long Version { get; }

        public long NextId { get; set; }

        public FsTimestamp Now => _now ??= _model._clock.Now();

        public HashSet<long> Touched { get; } = [];

        public List<PendingEvent> Events { get; } = [];

        public List<(long DirectoryId, long[] Spine)> RemovedDirectories { get; } = [];

        public NodeState? Get(long id) => _nodes.TryGetValue(id, out var n) ? n : _model._base.Materialize(id);

        public void Put(NodeState node)
        {
            _nodes[node.Id] = node;
            Touched.Add(node.Id);
        }

        public void Delete(long id)
        {
            if (_model._base.Materialize(id) is null)
            {
                _nodes.Remove(id);
            }
            else
            {
                _nodes[id] = null;
            }

            Touched.Add(id);
        }

        public void AddEntry(long dirId, string name, long key, long id)
        {
            var overlay = _dirs.TryGetValue(dirId, out var o) ? o : DirOverlay.Empty;
            var entry = new AddedEntry(new EntryKey(key, name), id);
            _dirs[dirId] = overlay with { Added = overlay.Added.Add(entry), AddedByName = overlay.AddedByName.Add(name, entry) };
        }

        public void RemoveEntry(long dirId, string name)
        {
            var overlay = _dirs.TryGetValue(dirId, out var o) ? o : DirOverlay.Empty;
            if (overlay.AddedByName.TryGetValue(name, out var added))
            {
                _dirs[dirId] = overlay with { Added = overlay.Added.Remove(added), AddedByName = overlay.AddedByName.Remove(name) };
            }
            else if (_model._base.TryLookup(dirId, name, out var baseEntry))
            {
                _dirs[dirId] = overlay with { RemovedSlots = overlay.RemovedSlots.Add(baseEntry.Slot) };
            }
            else
            {
                throw new InvalidOperationException($"entry '{name}' not found in directory {dirId}");
            }
        }

        /// <summary>A directory's entries changed: new mtime/ctime, and it and its ancestors need recounting.</summary>
        public void TouchDirectory(NodeState dir, FsTimestamp now)
        {
            var current = Get(dir.Id)!;
            Put(current with { ModificationTime = now, ChangeTime = now, DataRevision = current.DataRevision + 1, Stamp = Version });
            MarkDirty(dir.Id);
        }

        public void MarkDirty(long dirId)
        {
            long current = dirId;
            while (current != 0)
            {
                _dirty.Add(current);
                if (current == RootId)
                {
                    break;
                }

                current = Get(current)?.Primary.ParentId ?? 0;
            }
        }

        public void Event(string type, long[] spine, string absolutePath, string? stream = null) =>
            Events.Add(new PendingEvent(type, spine, absolutePath.TrimEnd('/'), stream));

        public void SelfRemoved(long dirId, long[] spine) => RemovedDirectories.Add((dirId, spine));

        public ModelState Commit() =>
            new(_nodes.ToImmutable(), _dirs.ToImmutable(), _dirty.ToImmutable(), Version, NextId);
    }
}
