using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Qindex.Index.Records;
using Qindex.Index.Store;
using Qindex.Qumulo;

namespace Qindex.Index.Watch;

/// <summary>How a plan was resolved against the cluster.</summary>
/// <param name="Upserts">Rows written from the cluster's answers.</param>
/// <param name="Deletes">Paths the cluster no longer has.</param>
/// <param name="AttributeRequests">Single-entry attribute requests sent.</param>
/// <param name="Listings">Directory listings used instead of one request per entry.</param>
public sealed record ApplyStats(long Upserts, long Deletes, long AttributeRequests, long Listings)
{
    /// <summary>Lookups in the index of the other names of files that just became hard-linked (the store keeps ids in memory; DuckDB otherwise).</summary>
    public long LinkQueries { get; init; }

    /// <summary>Time those lookups took.</summary>
    public TimeSpan LinkQueryTime { get; init; }

    /// <summary>Time spent waiting, before those lookups, for the previous batch's commit to land.</summary>
    public TimeSpan SettleTime { get; init; }

    /// <summary>What the attribute requests were for.</summary>
    public RequestSplit Split { get; init; } = new(0, 0, 0, 0, 0);
}

/// <summary>A batch's attribute requests by what they read.</summary>
/// <param name="Directories">Directories read first (their own rows, and child_count to choose between listing and reading one by one).</param>
/// <param name="Entries">Entries read one by one at their paths.</param>
/// <param name="EntriesGone">Of those, entries no longer at their paths (404).</param>
/// <param name="ById">Entries and directories read by id after their paths were gone.</param>
/// <param name="Links">Reads for the other names of hard-linked files.</param>
public sealed record RequestSplit(long Directories, long Entries, long EntriesGone, long ById, long Links);

/// <summary>
/// Resolves a <see cref="WatchPlan"/> against the cluster and writes it into a change set:
/// structural steps first (no requests), then crawls of moved-in directories, then refreshes.
/// Refreshes are grouped by directory: where many fall in one directory, that directory is
/// listed (1,000 entries a request) instead of fetching each entry. A 404 means the object is
/// gone. Reads are live, or at a cluster snapshot for a catch-up.
/// </summary>
public sealed class PlanApplier
{
    private const string DirectoryType = "FS_FILE_TYPE_DIRECTORY";

    // Fewer changes in one directory than this are read one by one: reading the directory first
    // (for its child_count) and listing it saves nothing below three.
    private const int MinDirectoryGroup = 3;
    private readonly QumuloClient _client;
    private readonly WatchOptions _options;
    private readonly HardLinkMap? _links;
    private readonly IHardLinkSource? _linkSource;

    /// <param name="client">The cluster.</param>
    /// <param name="options">Concurrency, listing threshold and page size.</param>
    /// <param name="links">Hard-linked paths by id (null: links are not followed).</param>
    /// <param name="linkSource">Where the other paths of a newly linked id are found.</param>
    public PlanApplier(QumuloClient client, WatchOptions options, HardLinkMap? links = null, IHardLinkSource? linkSource = null)
    {
        _client = client;
        _options = options;
        _links = links;
        _linkSource = linkSource;
    }

    /// <summary>Applies <paramref name="plan"/> to <paramref name="changes"/> (nothing is committed here).</summary>
    /// <param name="plan">The batch.</param>
    /// <param name="changes">Where its changes go.</param>
    /// <param name="snapshot">The cluster snapshot to read at (null: live).</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <param name="indexSettled">
    /// Awaited before the committed index is read (for the other names of newly linked files): the
    /// watcher resolves a batch while the previous one commits, and that commit must land first.
    /// </param>
    /// <param name="commitPart">
    /// Called when a crawl of a moved-in directory has added <see cref="WatchOptions.CrawlPartRows"/>
    /// rows since the last call: it commits what <paramref name="changes"/> holds so far and
    /// empties it, so a directory of millions of files is not held in memory at once (null: never).
    /// </param>
    public async Task<ApplyStats> ApplyAsync(WatchPlan plan, IIndexChangeSet changes, long? snapshot, CancellationToken cancellationToken, Func<Task>? indexSettled = null, Func<CancellationToken, Task>? commitPart = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(changes);
        var ingestTs = DateTimeOffset.UtcNow;
        long upserts = 0, deletes = 0, requests = 0, listings = 0, linkQueries = 0, entriesGone = 0;
        var linkQueryTime = TimeSpan.Zero;
        var settleTime = TimeSpan.Zero;

        // Ids of hard-linked files this plan touched: their other names are refreshed at the end.
        var linked = new HashSet<string>(StringComparer.Ordinal);
        var newlyLinked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in plan.Structural)
        {
            switch (step.Kind)
            {
                case StructuralKind.Delete:
                    changes.Delete(step.Path);
                    if (_links?.IdOf(step.Path) is { } id)
                    {
                        linked.Add(id);
                        _links.Remove(step.Path);
                    }

                    break;
                case StructuralKind.DeleteSubtree:
                    // A tree removed file by file took one link of each linked file in it: the other
                    // names (outside it) changed. The map must be asked before it forgets them, since
                    // the removal events' own refreshes run after this step.
                    changes.DeleteSubtree(step.Path);
                    if (_links is not null)
                    {
                        linked.UnionWith(_links.RemoveSubtree(step.Path));
                    }

                    break;
                case StructuralKind.MoveSubtree:
                    changes.MoveSubtree(step.Path, step.NewPath!);
                    _links?.MoveSubtree(step.Path, step.NewPath!);
                    break;
            }
        }

        foreach (var directory in plan.Crawl)
        {
            changes.DeleteSubtree(directory);
            if (_links is not null)
            {
                // As for a removed tree: a link gone from it by the time it is crawled leaves its
                // other names changed, and the crawl will not bring its path back into the map.
                linked.UnionWith(_links.RemoveSubtree(directory));
            }

            var (rows, listed) = await CrawlAsync(directory, plan.Ids.GetValueOrDefault(directory), snapshot, changes, ingestTs, commitPart, cancellationToken).ConfigureAwait(false);
            upserts += rows;
            listings += listed;
        }

        // Refreshes, by directory. A directory is read first when it is refreshed anyway (a change
        // in it refreshes its row) or holds several of them: its child_count says whether they are
        // a large enough share of it to list it instead (a listed entry costs about a quarter of a
        // request of its own), and a 404 says everything under it is gone from there too, so none
        // of it is asked for at its old path (docs/decisions/0013-resolve-by-directory.md).
        var refreshed = plan.Refresh.Where(p => !plan.Gone.Contains(p)).ToList();
        var refreshedSet = refreshed.ToHashSet(StringComparer.Ordinal);
        var groups = refreshed.GroupBy(p => WatchPaths.Parent(p) ?? p, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        var found = new ConcurrentDictionary<string, JsonElement>(StringComparer.Ordinal);
        var missing = new ConcurrentBag<string>(plan.Refresh.Where(plan.Gone.Contains));
        var directories = new ConcurrentDictionary<string, JsonElement?>(StringComparer.Ordinal); // read first; null: gone
        var readFirst = groups
            .Where(g => WatchPaths.Parent(g[0]) is { } parent && (refreshedSet.Contains(parent) || g.Count >= MinDirectoryGroup))
            .Select(g => WatchPaths.Parent(g[0])!)
            .ToList();
        await Parallel.ForEachAsync(
            readFirst,
            new ParallelOptions { MaxDegreeOfParallelism = _options.ResolveConcurrency, CancellationToken = cancellationToken },
            async (path, token) =>
            {
                Interlocked.Increment(ref requests);
                directories[path] = await GetOrNullAsync(path, snapshot, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        long directoryReads = requests;
        foreach (var (path, attributes) in directories.Where(d => refreshedSet.Contains(d.Key)))
        {
            if (attributes is { } answer)
            {
                found[path] = answer;
            }
            else
            {
                missing.Add(path);
            }
        }

        var toList = new List<(string Directory, List<string> Paths)>();
        var single = new List<string>();
        foreach (var group in groups)
        {
            var pending = group.Where(p => !directories.ContainsKey(p)).ToList();
            if (pending.Count == 0)
            {
                continue;
            }

            var directory = WatchPaths.Parent(group[0]);
            JsonElement? read = null;
            if (directory is not null && directories.TryGetValue(directory, out read) && read is null)
            {
                // Gone from its path, so is everything under it: found by id below.
                foreach (var path in pending)
                {
                    missing.Add(path);
                }
            }
            else if (directory is not null && ShouldList(pending.Count, read))
            {
                toList.Add((directory, pending));
            }
            else
            {
                single.AddRange(pending);
            }
        }

        await Parallel.ForEachAsync(
            toList,
            new ParallelOptions { MaxDegreeOfParallelism = _options.ResolveConcurrency, CancellationToken = cancellationToken },
            async (group, token) =>
            {
                var pages = await ListGroupAsync(group.Directory, group.Paths, snapshot, found, missing, token).ConfigureAwait(false);
                Interlocked.Add(ref listings, pages);
            }).ConfigureAwait(false);
        await Parallel.ForEachAsync(
            single,
            new ParallelOptions { MaxDegreeOfParallelism = _options.ResolveConcurrency, CancellationToken = cancellationToken },
            async (path, token) =>
            {
                Interlocked.Increment(ref requests);
                if (await GetOrNullAsync(path, snapshot, token).ConfigureAwait(false) is { } attributes)
                {
                    found[path] = attributes;
                }
                else
                {
                    Interlocked.Increment(ref entriesGone);
                    missing.Add(path);
                }
            }).ConfigureAwait(false);
        long entryReads = requests - directoryReads;

        // Gone from the path an add or change event named: moved after the event. Find it by id
        // and keep it at that path; the move's own event (later in the stream) carries it on.
        // Gone from a path an add or move-in named, even if the window also removed it: the object
        // may live on under another name (a hard link made, then removed or renamed), whose
        // num_links and change_time changed with no event naming it. The id finds that name too.
        var relocated = new ConcurrentDictionary<string, FileRecord>(StringComparer.Ordinal);
        var otherNames = new ConcurrentDictionary<string, JsonElement>(StringComparer.Ordinal);
        var root = WatchPaths.AsDirectory(_options.RootPath);
        void Answer(string missedPath, JsonElement attributes)
        {
            var record = FileRecordParser.Parse(attributes, ingestTs);
            if (plan.Ids.ContainsKey(missedPath))
            {
                var placed = record.Path.EndsWith('/') ? WatchPaths.AsDirectory(missedPath) : WatchPaths.WithoutSlash(missedPath);
                relocated[missedPath] = record with { Path = placed, Name = WatchPaths.Name(placed) };
            }

            if (!record.Path.EndsWith('/') && record.Path != missedPath && record.Path.StartsWith(root, StringComparison.Ordinal))
            {
                otherNames[record.Path] = attributes;
            }
        }

        var byId = missing
            .Select(p => (Path: p, Id: plan.Ids.GetValueOrDefault(p) ?? plan.NamedIds.GetValueOrDefault(p)))
            .Where(p => p.Id is not null)
            .ToList();

        // Several gone with their directory: it moved after the events (a later event moves their
        // rows with it). Read by id, it says how many entries it holds now; when they are a large
        // enough share of it, one listing of it by id answers them all. Under the churn, reads by
        // id were half of a batch's requests, most of them for entries of a moved directory.
        var goneNow = missing.Concat(directories.Where(d => d.Value is null).Select(d => d.Key)).ToHashSet(StringComparer.Ordinal);
        var viaDirectory = byId
            .Where(m => plan.Ids.ContainsKey(m.Path))
            .GroupBy(m => WatchPaths.Parent(m.Path) ?? m.Path, StringComparer.Ordinal)
            .Where(g => g.Count() >= MinDirectoryGroup && goneNow.Contains(g.Key) && plan.DirectoryIds.ContainsKey(g.Key))
            .Select(g => (DirectoryId: plan.DirectoryIds[g.Key], Entries: g.ToList()))
            .ToList();
        var answered = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var readById = new ConcurrentDictionary<string, JsonElement?>(StringComparer.Ordinal); // directories read by id here; null: gone
        await Parallel.ForEachAsync(
            viaDirectory,
            new ParallelOptions { MaxDegreeOfParallelism = _options.ResolveConcurrency, CancellationToken = cancellationToken },
            async (group, token) =>
            {
                Interlocked.Increment(ref requests);
                var read = await GetOrNullAsync(group.DirectoryId, snapshot, token).ConfigureAwait(false);
                readById[group.DirectoryId] = read;
                if (read is not { } directory || !ShouldList(group.Entries.Count, directory))
                {
                    return;
                }

                var wanted = group.Entries.ToLookup(e => e.Id!, e => e.Path, StringComparer.Ordinal);
                try
                {
                    await foreach (var page in _client.ListEntryPagesAsync(group.DirectoryId, snapshot, _options.PageSize, token).ConfigureAwait(false))
                    {
                        using (page)
                        {
                            Interlocked.Increment(ref listings);
                            if (!page.RootElement.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
                            {
                                continue;
                            }

                            foreach (var file in files.EnumerateArray())
                            {
                                if (file.TryGetProperty("id", out var id) && id.GetString() is { } entryId && wanted.Contains(entryId))
                                {
                                    var clone = file.Clone();
                                    foreach (var path in wanted[entryId])
                                    {
                                        Answer(path, clone);
                                        answered[path] = true;
                                    }
                                }
                            }
                        }
                    }
                }
                catch (QumuloApiException e) when (e.Status == HttpStatusCode.NotFound)
                {
                    // Gone between the two requests: each entry is asked for by id below.
                }
            }).ConfigureAwait(false);

        await Parallel.ForEachAsync(
            byId.Where(m => !answered.ContainsKey(m.Path)),
            new ParallelOptions { MaxDegreeOfParallelism = _options.ResolveConcurrency, CancellationToken = cancellationToken },
            async (missed, token) =>
            {
                // A moved directory's own row: it was just read by id for its entries.
                if (!readById.TryGetValue(missed.Id!, out var read))
                {
                    Interlocked.Increment(ref requests);
                    read = await GetOrNullAsync(missed.Id!, snapshot, token).ConfigureAwait(false);
                }

                if (read is { } attributes)
                {
                    Answer(missed.Path, attributes);
                }
            }).ConfigureAwait(false);

        long byIdReads = requests - directoryReads - entryReads;

        // Write in plan order so the outcome does not depend on which request answered first.
        var missingSet = missing.Where(p => !relocated.ContainsKey(p)).ToHashSet(StringComparer.Ordinal);

        // Renamed files: said before their old rows are deleted, so the store knows what they were.
        foreach (var (to, from) in plan.RenamedFrom)
        {
            changes.NoteRename(from, to);
        }

        var done = new HashSet<string>(StringComparer.Ordinal);
        var written = new HashSet<string>(StringComparer.Ordinal);
        Write(plan.Refresh, found, relocated, missingSet, changes, ingestTs, linked, newlyLinked, done, written, ref upserts, ref deletes);
        var others = otherNames.Keys.Where(p => !done.Contains(p)).Order(StringComparer.Ordinal).ToList();
        Write(others, otherNames, new Dictionary<string, FileRecord>(), new HashSet<string>(), changes, ingestTs, linked, newlyLinked, done, written, ref upserts, ref deletes);

        if (_links is not null && linked.Count > 0)
        {
            // Another link of a touched file changed num_links (and ctime) without an event of its own.
            var siblings = new Dictionary<string, string>(StringComparer.Ordinal); // path -> file id
            var newly = linked.Where(newlyLinked.Contains).ToList();

            // A file that just became linked has names the map does not know yet. Asked by id, the
            // cluster answers with one of its names: when that name and the names this batch wrote
            // are all the file has (num_links), no query of the index is needed; otherwise the
            // index is asked (the store keeps ids by position in memory; DuckDB took about a second
            // at 10M rows, reading every row's id). A name this batch wrote may be gone already
            // (its removal is a later event), so each is read again first: counted while gone, it
            // would hide the file's first name, which would keep a stale num_links and change_time
            // (HardLinkWatchTests caught that, about one run in ten).
            var answeredById = new ConcurrentDictionary<string, (string Id, JsonElement Attributes)>(StringComparer.Ordinal);
            var unresolved = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(
                newly,
                new ParallelOptions { MaxDegreeOfParallelism = _options.ResolveConcurrency, CancellationToken = cancellationToken },
                async (id, token) =>
                {
                    Interlocked.Increment(ref requests);
                    var known = _links.PathsOf(id).ToList();
                    if (await GetOrNullAsync(id, snapshot, token).ConfigureAwait(false) is not { } attributes)
                    {
                        // The file is gone, every name with it: their removals are events of their own.
                        return;
                    }

                    if (FileRecordParser.Parse(attributes, ingestTs) is not { } record || record.Path.EndsWith('/'))
                    {
                        unresolved.Add(id);
                        return;
                    }

                    // The names written are read again after the file was read by id: those still
                    // there existed then too, and num_links bounds how many names it has besides
                    // them. A name gone meanwhile is not counted (its removal is an event to come).
                    var other = IsWatched(record.Path) && !known.Contains(record.Path) ? 1 : 0;
                    if (known.Count + other < record.NumLinks
                        || await StillNamedAsync(known, id, snapshot, () => Interlocked.Increment(ref requests), token).ConfigureAwait(false) + other < record.NumLinks)
                    {
                        unresolved.Add(id);
                    }
                    else if (other == 1)
                    {
                        answeredById[record.Path] = (id, attributes);
                    }
                }).ConfigureAwait(false);
            IReadOnlyDictionary<string, IReadOnlyList<string>> committedPaths = new Dictionary<string, IReadOnlyList<string>>();
            if (!unresolved.IsEmpty && _linkSource is not null)
            {
                if (indexSettled is not null)
                {
                    long settleStarted = Stopwatch.GetTimestamp();
                    await indexSettled().ConfigureAwait(false);
                    settleTime = Stopwatch.GetElapsedTime(settleStarted);
                }

                long queryStarted = Stopwatch.GetTimestamp();
                committedPaths = await _linkSource.PathsOfAsync(unresolved.ToList(), cancellationToken).ConfigureAwait(false);
                linkQueries++;
                linkQueryTime = Stopwatch.GetElapsedTime(queryStarted);
            }

            foreach (var (path, (id, _)) in answeredById)
            {
                siblings.TryAdd(path, id);
            }

            foreach (var id in linked)
            {
                foreach (var path in _links.PathsOf(id))
                {
                    siblings.TryAdd(path, id);
                }

                if (committedPaths.TryGetValue(id, out var fromIndex))
                {
                    // The source reads the committed index: carry its paths through this plan's
                    // renames and deletes so a name whose directory moved in this batch is found.
                    foreach (var committed in fromIndex)
                    {
                        if (AfterStructural(committed, plan.Structural) is { } current)
                        {
                            siblings.TryAdd(current, id);
                        }
                    }
                }
            }

            foreach (var path in done)
            {
                siblings.Remove(path);
            }

            // A name that is not where the index has it was renamed or removed after this batch's
            // events; that event is still to come and will carry or delete the row. Deleting it
            // here would lose the row for good (the later rename finds nothing to move), so it
            // keeps its path and takes the file's attributes, read by id, as a moved refresh does.
            var siblingFound = new ConcurrentDictionary<string, JsonElement>(StringComparer.Ordinal);
            var siblingRelocated = new ConcurrentDictionary<string, FileRecord>(StringComparer.Ordinal);
            foreach (var (path, (_, attributes)) in answeredById)
            {
                if (siblings.ContainsKey(path))
                {
                    siblingFound[path] = attributes;
                }
            }

            await Parallel.ForEachAsync(
                siblings.Where(s => !siblingFound.ContainsKey(s.Key)),
                new ParallelOptions { MaxDegreeOfParallelism = _options.ResolveConcurrency, CancellationToken = cancellationToken },
                async (sibling, token) =>
                {
                    var (path, id) = sibling;
                    Interlocked.Increment(ref requests);
                    if (await GetOrNullAsync(path, snapshot, token).ConfigureAwait(false) is { } attributes)
                    {
                        siblingFound[path] = attributes;
                    }
                    else
                    {
                        Interlocked.Increment(ref requests);
                        if (await GetOrNullAsync(id, snapshot, token).ConfigureAwait(false) is { } linkedAttributes
                            && FileRecordParser.Parse(linkedAttributes, ingestTs) is { } record && !record.Path.EndsWith('/'))
                        {
                            siblingRelocated[path] = record with { Path = path, Name = WatchPaths.Name(path) };
                        }
                    }
                }).ConfigureAwait(false);

            Write(siblings.Keys.Order(StringComparer.Ordinal).ToList(), siblingFound, siblingRelocated, new HashSet<string>(), changes, ingestTs, [], [], done, written, ref upserts, ref deletes);
        }

        return new ApplyStats(upserts, deletes, requests, listings)
        {
            LinkQueries = linkQueries,
            LinkQueryTime = linkQueryTime,
            SettleTime = settleTime,
            Split = new RequestSplit(directoryReads, entryReads, entriesGone, byIdReads, requests - directoryReads - entryReads - byIdReads),
        };
    }

    /// <summary>Where a committed path is after <paramref name="steps"/>, or null when they delete it.</summary>
    private static string? AfterStructural(string path, IReadOnlyList<StructuralStep> steps)
    {
        foreach (var step in steps)
        {
            switch (step.Kind)
            {
                case StructuralKind.Delete when path == step.Path:
                case StructuralKind.DeleteSubtree when WatchPaths.IsUnder(path, step.Path):
                    return null;
                case StructuralKind.MoveSubtree when path.StartsWith(step.Path, StringComparison.Ordinal):
                    path = step.NewPath! + path[step.Path.Length..];
                    break;
            }
        }

        return path;
    }

    private void Write(
        IReadOnlyList<string> paths, IReadOnlyDictionary<string, JsonElement> found, IReadOnlyDictionary<string, FileRecord> relocated, IReadOnlySet<string> missing, IIndexChangeSet changes, DateTimeOffset ingestTs,
        HashSet<string> linked, HashSet<string> newlyLinked, HashSet<string> done, HashSet<string> written, ref long upserts, ref long deletes)
    {
        foreach (var path in paths)
        {
            done.Add(path);
            FileRecord? record = null;
            if (relocated.TryGetValue(path, out var placed))
            {
                record = placed;
            }
            else if (found.TryGetValue(path, out var attributes))
            {
                record = FileRecordParser.Parse(attributes, ingestTs);
                if (record.Path != path && WatchPaths.WithoutSlash(record.Path) == WatchPaths.WithoutSlash(path))
                {
                    // Asked without the slash, answered as a directory (or the other way): drop the other spelling.
                    changes.Delete(path);
                }
            }

            if (record is not null && !IsWatched(record.Path))
            {
                // Moved out of the watched tree after its event (read by id): its move-out event
                // removes the old path; a row outside the tree would never be removed.
                record = null;
            }

            if (record is not null)
            {
                done.Add(record.Path);
                written.Add(record.Path);
                changes.Upsert(record);
                upserts++;
                if (_links is not null)
                {
                    // A link replaced by another file (rename with clobber): the old file's other links changed.
                    if (_links.IdOf(record.Path) is { } previous && previous != record.Id)
                    {
                        linked.Add(previous);
                    }

                    if (record.Id is { } id)
                    {
                        var known = _links.Contains(id);
                        _links.Remove(path);
                        _links.Remove(record.Path);
                        if (record.NumLinks > 1)
                        {
                            if (!known)
                            {
                                newlyLinked.Add(id);
                            }

                            _links.Add(id, record.Path);
                            linked.Add(id);
                        }
                        else if (known)
                        {
                            linked.Add(id);
                        }
                    }
                }
            }
            else if (missing.Contains(path))
            {
                // Only the row: a directory that really went took its subtree with a removal or
                // move-out event (a structural step); a parent read at the wrong moment did not.
                // Both spellings, except one this plan has just written: a directory renamed after
                // its events is asked for as "d" (a change event's spelling, with no id left after
                // the rename) and as "d/" (found by id and kept there); the 404 of the first must
                // not delete the row the second wrote.
                foreach (var spelling in new[] { WatchPaths.WithoutSlash(path), WatchPaths.AsDirectory(path) })
                {
                    if (spelling == path || !written.Contains(spelling))
                    {
                        changes.Delete(spelling);
                    }
                }
                if (_links?.IdOf(path) is { } id)
                {
                    linked.Add(id);
                    _links.Remove(path);
                }

                deletes++;
            }
        }
    }

    private async Task<long> ListGroupAsync(
        string parent, List<string> paths, long? snapshot, ConcurrentDictionary<string, JsonElement> found, ConcurrentBag<string> missing, CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var key = WatchPaths.WithoutSlash(path);
            if (!wanted.TryGetValue(key, out var list))
            {
                wanted[key] = list = [];
            }

            list.Add(path);
        }

        long pages = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var page in _client.ListEntryPagesAsync(parent, snapshot, _options.PageSize, cancellationToken).ConfigureAwait(false))
            {
                using (page)
                {
                    pages++;
                    if (!page.RootElement.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
                    {
                        continue;
                    }

                    foreach (var file in files.EnumerateArray())
                    {
                        if (file.TryGetProperty("path", out var p) && p.GetString() is { } entryPath
                            && wanted.TryGetValue(WatchPaths.WithoutSlash(entryPath), out var keys))
                        {
                            var clone = file.Clone();
                            foreach (var key in keys)
                            {
                                found[key] = clone;
                                seen.Add(key);
                            }
                        }
                    }
                }
            }
        }
        catch (QumuloApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            // The directory itself is gone: so is every entry asked for in it.
        }

        foreach (var path in paths)
        {
            if (!seen.Contains(path))
            {
                missing.Add(path);
            }
        }

        return Math.Max(pages, 1);
    }

    private async Task<(long Rows, long Listings)> CrawlAsync(string directory, string? id, long? snapshot, IIndexChangeSet changes, DateTimeOffset ingestTs, Func<CancellationToken, Task>? commitPart, CancellationToken cancellationToken)
    {
        var root = await GetOrNullAsync(directory, snapshot, cancellationToken).ConfigureAwait(false);
        if (root is null && id is not null)
        {
            // Renamed (or an ancestor was) after it moved in: crawl it where it is now, and write
            // the rows under the path the later rename event will move them from.
            root = await GetOrNullAsync(id, snapshot, cancellationToken).ConfigureAwait(false);
        }

        if (root is not { } found)
        {
            return (0, 0);
        }

        var rootRecord = FileRecordParser.Parse(found, ingestTs);
        var actual = rootRecord.Path;
        FileRecord Place(FileRecord record) =>
            actual == directory || !record.Path.StartsWith(actual, StringComparison.Ordinal) ? record : record with { Path = directory + record.Path[actual.Length..] };
        changes.Upsert(actual == directory ? rootRecord : rootRecord with { Path = directory, Name = WatchPaths.Name(directory) });
        long rows = 0, listings = 0, held = 1;

        // Pages are parsed side by side and added one page at a time, so what is held between
        // two parts is bounded by the part's rows and the pages in flight, not by a level of the
        // tree (a directory of a million files is one level).
        using var gate = new SemaphoreSlim(1, 1);
        var level = new List<string> { found.GetProperty("id").GetString()! };
        while (level.Count > 0)
        {
            var next = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(
                level,
                new ParallelOptions { MaxDegreeOfParallelism = _options.ResolveConcurrency, CancellationToken = cancellationToken },
                async (id, token) =>
                {
                    try
                    {
                        await foreach (var page in _client.ListEntryPagesAsync(id, snapshot, _options.PageSize, token).ConfigureAwait(false))
                        {
                            var listed = new List<FileRecord>();
                            using (page)
                            {
                                Interlocked.Increment(ref listings);
                                if (!page.RootElement.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
                                {
                                    continue;
                                }

                                foreach (var file in files.EnumerateArray())
                                {
                                    var record = FileRecordParser.Parse(file, ingestTs);
                                    listed.Add(record);
                                    if (record.Type == DirectoryType && record.Id is { } childId)
                                    {
                                        next.Add(childId);
                                    }
                                }
                            }

                            await gate.WaitAsync(token).ConfigureAwait(false);
                            try
                            {
                                held += AddListed(listed, Place, changes);
                                if (commitPart is not null && held >= _options.CrawlPartRows)
                                {
                                    rows += held;
                                    held = 0;
                                    await commitPart(token).ConfigureAwait(false);
                                }
                            }
                            finally
                            {
                                gate.Release();
                            }
                        }
                    }
                    catch (QumuloApiException e) when (e.Status == HttpStatusCode.NotFound)
                    {
                        // Removed while being listed: its own event follows in the stream.
                    }
                }).ConfigureAwait(false);

            level = next.ToList();
        }

        return (rows + held, listings);
    }

    /// <summary>Adds one listed page's rows that lie in the watched tree; returns how many.</summary>
    private long AddListed(List<FileRecord> listed, Func<FileRecord, FileRecord> place, IIndexChangeSet changes)
    {
        long added = 0;
        foreach (var entry in listed)
        {
            var record = place(entry);
            if (!IsWatched(record.Path))
            {
                // Listed while the directory moved again (out of the tree, or elsewhere): the
                // move's own events settle it; a row outside the tree would never be removed.
                continue;
            }

            changes.Upsert(record);
            added++;
            if (record.NumLinks > 1 && record.Id is { } linkedId)
            {
                _links?.Add(linkedId, record.Path);
            }
        }

        return added;
    }

    /// <summary>Whether <paramref name="path"/> lies in the watched tree (the index holds nothing else).</summary>
    private bool IsWatched(string path) => path.StartsWith(WatchPaths.AsDirectory(_options.RootPath), StringComparison.Ordinal);

    /// <summary>How many of <paramref name="paths"/> still name the file <paramref name="id"/>.</summary>
    private async Task<int> StillNamedAsync(IReadOnlyList<string> paths, string id, long? snapshot, Action counted, CancellationToken cancellationToken)
    {
        int named = 0;
        foreach (var path in paths)
        {
            counted();
            if (await GetOrNullAsync(path, snapshot, cancellationToken).ConfigureAwait(false) is { } attributes
                && attributes.TryGetProperty("id", out var found) && found.GetString() == id)
            {
                named++;
            }
        }

        return named;
    }

    /// <summary>
    /// Whether <paramref name="changed"/> entries of one directory are read with a listing: when
    /// they are a large enough share of what it holds (its child_count, when it was read first),
    /// else when they are many.
    /// </summary>
    private bool ShouldList(int changed, JsonElement? directory)
    {
        return ChildCount(directory) is { } entries
            ? (long)changed * _options.ListShare >= entries
            : changed >= _options.ListThreshold;
    }

    /// <summary>A directory's child_count: a number in the published schema; a string is taken too, as other counts arrive.</summary>
    private static long? ChildCount(JsonElement? directory)
    {
        if (directory is not { } attributes || !attributes.TryGetProperty("child_count", out var count))
        {
            return null;
        }

        if (count.ValueKind == JsonValueKind.Number && count.TryGetInt64(out var number))
        {
            return number;
        }

        return count.ValueKind == JsonValueKind.String && long.TryParse(count.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
    }

    private Task<JsonElement?> GetOrNullAsync(string path, long? snapshot, CancellationToken cancellationToken) =>
        _client.TryGetAttributesAsync(path, snapshot, cancellationToken);
}
