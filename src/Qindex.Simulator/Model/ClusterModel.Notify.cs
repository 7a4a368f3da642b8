using System.Collections.Frozen;
using System.Threading.Channels;

namespace Qindex.Simulator.Model;

/// <summary>
/// An event as produced by a mutation, before it is shaped for each watcher. The spine runs from
/// the root to the object; the absolute path carries no trailing '/' ("" for the root).
/// </summary>
internal sealed record PendingEvent(string Type, long[] Spine, string AbsolutePath, string? StreamName);

/// <summary>
/// Thrown into a watcher's channel (the reader's completion) when the watcher fell behind by more
/// than its capacity: the model drops the watch, as a real cluster drops a stream, and the client
/// reconnects and catches up with a snapshot diff.
/// </summary>
public sealed class WatchOverflowException : Exception
{
    public WatchOverflowException()
        : base("the watcher fell too far behind; the watch was dropped")
    {
    }

    public WatchOverflowException(string message)
        : base(message)
    {
    }

    public WatchOverflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A registered watch. Read <see cref="Reader"/>; dispose to unsubscribe (frees the channel). The
/// reader completes normally after <c>self_removed</c>, or with <see cref="WatchOverflowException"/>
/// if the watcher fell behind.
/// </summary>
public sealed class NotificationSubscription : IDisposable
{
    private readonly ClusterModel _model;
    private readonly Channel<Notification> _channel;

    internal NotificationSubscription(ClusterModel model, long directoryId, bool recursive, FrozenSet<string>? filter, int capacity)
    {
        _model = model;
        DirectoryId = directoryId;
        Recursive = recursive;
        Filter = filter;
        _channel = Channel.CreateBounded<Notification>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The watched directory's id.</summary>
    public long DirectoryId { get; }

    /// <summary>Whether events below direct children are delivered.</summary>
    public bool Recursive { get; }

    /// <summary>The accepted event types, or null for all.</summary>
    public FrozenSet<string>? Filter { get; }

    /// <summary>The notifications, in the order the mutations happened.</summary>
    public ChannelReader<Notification> Reader => _channel.Reader;

    internal bool TryWrite(Notification notification) => _channel.Writer.TryWrite(notification);

    internal void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    public void Dispose() => _model.Unsubscribe(this);
}

/// <content>Watches (the <c>/notify</c> stream).</content>
public sealed partial class ClusterModel
{
    /// <summary>Default bound of a watcher's queue before the watch is dropped.</summary>
    public const int DefaultWatchCapacity = 65_536;

    private readonly List<NotificationSubscription> _watchers = [];

    /// <summary>Number of registered watches (for tests and diagnostics).</summary>
    public int WatcherCount
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    /// <summary>
    /// Registers a watch on a directory. Only changes after this call are delivered. Unknown names
    /// in <paramref name="filter"/> are a bad request.
    /// </summary>
    public NotificationSubscription Subscribe(string directory, bool recursive, IEnumerable<string>? filter = null, int capacity = DefaultWatchCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        FrozenSet<string>? filterSet = null;
        if (filter is not null)
        {
            filterSet = filter.ToFrozenSet(StringComparer.Ordinal);
            var unknown = filterSet.FirstOrDefault(t => !NotificationTypes.All.Contains(t));
            if (unknown is not null)
            {
                throw ClusterException.BadRequest($"unknown notification type '{unknown}'");
            }
        }

        lock (_gate)
        {
            var view = new View(this, _state, null);
            var (dir, path) = view.Resolve(directory);
            RequireDirectory(dir, path);
            var subscription = new NotificationSubscription(this, dir.Id, recursive, filterSet, capacity);
            _watchers.Add(subscription);
            return subscription;
        }
    }

    internal void Unsubscribe(NotificationSubscription subscription)
    {
        lock (_gate)
        {
            _watchers.Remove(subscription);
        }

        subscription.Complete();
    }

    private void Publish(Tx tx)
    {
        if (_watchers.Count == 0)
        {
            return;
        }

        List<NotificationSubscription>? dropped = null;
        foreach (var watcher in _watchers)
        {
            foreach (var ev in tx.Events)
            {
                var notification = Shape(watcher, ev);
                if (notification is not null && !watcher.TryWrite(notification))
                {
                    (dropped ??= []).Add(watcher);
                    watcher.Complete(new WatchOverflowException());
                    break;
                }
            }

            foreach (var (dirId, _) in tx.RemovedDirectories)
            {
                if (watcher.DirectoryId == dirId && (dropped is null || !dropped.Contains(watcher)))
                {
                    if (watcher.Filter is null || watcher.Filter.Contains(NotificationTypes.SelfRemoved))
                    {
                        watcher.TryWrite(new Notification(NotificationTypes.SelfRemoved, string.Empty, [dirId], null));
                    }

                    (dropped ??= []).Add(watcher);
                    watcher.Complete();
                }
            }
        }

        if (dropped is not null)
        {
            _watchers.RemoveAll(dropped.Contains);
        }
    }

    private static Notification? Shape(NotificationSubscription watcher, PendingEvent ev)
    {
        int index = Array.IndexOf(ev.Spine, watcher.DirectoryId);
        int last = ev.Spine.Length - 1;
        if (index < 0 || index == last || (!watcher.Recursive && index != last - 1))
        {
            return null;
        }

        if (watcher.Filter is not null && !watcher.Filter.Contains(ev.Type))
        {
            return null;
        }

        // Spine[k] is the object named by component k-1 of the absolute path (Spine[0] is the root),
        // so the path relative to Spine[index] is what follows the (index + 1)-th '/'.
        string path = ev.AbsolutePath;
        int slash = -1;
        for (int k = 0; k <= index; k++)
        {
            slash = path.IndexOf('/', slash + 1);
        }

        return new Notification(ev.Type, path[(slash + 1)..], ev.Spine[index..], ev.StreamName);
    }
}
