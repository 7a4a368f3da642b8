namespace Qindex.Index.Watch;

/// <summary>What a structural step does to indexed rows without asking the cluster.</summary>
public enum StructuralKind
{
    /// <summary>Delete one row.</summary>
    Delete,

    /// <summary>Delete a directory row and every row under it.</summary>
    DeleteSubtree,

    /// <summary>Move a directory row and every row under it to a new prefix (a rename).</summary>
    MoveSubtree,
}

/// <summary>One structural step, applied in the order the events arrived.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Path">The row or directory (directories end with '/').</param>
/// <param name="NewPath">For <see cref="StructuralKind.MoveSubtree"/>, the new directory path.</param>
public sealed record StructuralStep(StructuralKind Kind, string Path, string? NewPath = null);

/// <summary>
/// What one window of events (or one catch-up) does to the index: structural steps in event
/// order, then directories to crawl again (each replaces its subtree with what the cluster has),
/// then paths to refresh (each becomes what the cluster has there, or goes when the cluster has
/// nothing). Refreshed and crawled paths are the ones after every rename in the window, so a
/// change made before a rename lands under the renamed path.
/// </summary>
public sealed record WatchPlan(
    IReadOnlyList<StructuralStep> Structural,
    IReadOnlyList<string> Crawl,
    IReadOnlyList<string> Refresh,
    bool SelfRemoved)
{
    /// <summary>
    /// For paths named last by an add, change or move-in event: the object's id (the spine's last).
    /// When the path is gone by the time it is read, the object was moved or renamed (with an
    /// ancestor, perhaps) after the event, and the event for that comes later; the id finds the
    /// object so its row can be written where the later event expects to find it.
    /// </summary>
    public IReadOnlyDictionary<string, string> Ids { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// For file paths an add or move-in event named in this window: the object's id, kept even
    /// when a later event of the window removed or moved the path. When such a path is gone by the
    /// time it is read, the object may still exist under another name (it was a new hard link of
    /// an existing file, made and removed within the window or before the read): those other
    /// names changed num_links and change_time without an event of their own, and the id finds them.
    /// </summary>
    public IReadOnlyDictionary<string, string> NamedIds { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Refreshed paths whose last event in the window removed the object or moved it away: the
    /// cluster has nothing there (a later re-creation sends its own event), so they are deleted
    /// without a read. A removal is a fifth of the churn's changes and each read is a request.
    /// </summary>
    public IReadOnlySet<string> Gone { get; init; } = new HashSet<string>();

    /// <summary>
    /// For the directories holding refreshed paths: the id of the directory the events named them
    /// in (the spine's one before last). When several of its entries are gone from their paths at
    /// read time, the directory moved after the events, and one listing of it by id finds them.
    /// </summary>
    public IReadOnlyDictionary<string, string> DirectoryIds { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Files renamed in the window, by the path they have at its end (as <see cref="Refresh"/>
    /// names it) to the path they had before it: the store logs the upsert at the new path as a
    /// rename of the row at the old one.
    /// </summary>
    public IReadOnlyDictionary<string, string> RenamedFrom { get; init; } = new Dictionary<string, string>();

    /// <summary>A plan that changes nothing.</summary>
    public static WatchPlan Empty { get; } = new([], [], [], false);

    /// <summary>True when applying the plan cannot change the index.</summary>
    public bool IsEmpty => Structural.Count == 0 && Crawl.Count == 0 && Refresh.Count == 0 && !SelfRemoved;
}
