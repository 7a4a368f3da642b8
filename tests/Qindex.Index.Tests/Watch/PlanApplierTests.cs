using Qindex.Index.Crawl;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Watch;

public sealed class PlanApplierTests : IAsyncLifetime
{
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 50, Seed = 2 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private QumuloClient Client() => new(SimulatorCluster.ConnectionTo(_server));

    private static async Task<ApplyStats> ApplyAsync(PlanApplier applier, MemoryIndexStore store, WatchPlan plan)
    {
        await using var changes = store.BeginChanges();
        var stats = await applier.ApplyAsync(plan, changes, null, CancellationToken.None);
        await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        return stats;
    }

    private static WatchPlan Coalesce(string root, IEnumerable<Notification> events)
    {
        var coalescer = new EventCoalescer(root);
        foreach (var n in events)
        {
            coalescer.Add(n);
        }

        coalescer.FlushDanglingMove();
        return coalescer.Build();
    }

    [Fact]
    public async Task A_file_whose_directory_was_renamed_before_it_was_read_still_arrives_under_the_new_name()
    {
        // Failed before the fix: the add resolved to 404 (the directory had been renamed already),
        // the later rename moved nothing, and the file was never indexed.
        using var client = Client();
        var root = _server.Cluster.CreateDirectory("/", "race").Path;
        var d = _server.Cluster.CreateDirectory(root, "d");
        var store = new MemoryIndexStore();
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "h", RootPath = root, SnapshotMode = CrawlSnapshotMode.None }, store, null, CancellationToken.None);

        var x = _server.Cluster.CreateFile(d.Path, "x");
        _server.Cluster.Rename(root, "e", d.Path);
        var applier = new PlanApplier(client, new WatchOptions { ClusterHost = "h", RootPath = root });
        await ApplyAsync(applier, store, Coalesce(root, [new Notification("child_file_added", root + "d/x", "d/x", ["1", d.Id.ToString(), x.Id.ToString()], null)]));
        await ApplyAsync(applier, store, Coalesce(root, [
            new Notification("child_dir_moved_from", root + "d/", "d", ["1", d.Id.ToString()], null),
            new Notification("child_dir_moved_to", root + "e/", "e", ["1", d.Id.ToString()], null),
        ]));

        Assert.Contains(root + "e/x", store.Rows.Keys);
        Assert.DoesNotContain(root + "d/x", store.Rows.Keys);
        Assert.DoesNotContain(root + "d/", store.Rows.Keys);
    }

    [Fact]
    public async Task Many_changes_in_one_directory_are_read_with_a_listing_not_one_request_each()
    {
        using var client = Client();
        var root = _server.Cluster.CreateDirectory("/", "crowd").Path;
        var events = new List<Notification>();
        for (var i = 0; i < 100; i++)
        {
            var f = _server.Cluster.CreateFile(root, $"f{i}");
            events.Add(new Notification("child_file_added", f.Path, f.Path[root.Length..], ["1", f.Id.ToString()], null));
        }

        events.Add(new Notification("child_file_removed", root + "never-there", "never-there", ["1", "999999"], null));
        var store = new MemoryIndexStore();
        var applier = new PlanApplier(client, new WatchOptions { ClusterHost = "h", RootPath = root, ListThreshold = 32 });
        await using var changes = store.BeginChanges();
        var stats = await applier.ApplyAsync(Coalesce(root, events), changes, null, CancellationToken.None);
        await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);

        Assert.Equal(1, stats.Listings);
        Assert.True(stats.AttributeRequests <= 2, $"{stats.AttributeRequests} attribute requests");
        Assert.Equal(100, store.Rows.Keys.Count(k => k.StartsWith(root + "f", StringComparison.Ordinal)));
        Assert.Equal(1, stats.Deletes);
    }

    /// <summary>Files f0..f(n-1) in a new directory under a new root, crawled into a store.</summary>
    private async Task<(string Root, Qindex.Simulator.Model.FsAttributes Directory, List<Qindex.Simulator.Model.FsAttributes> Files, MemoryIndexStore Store)> DirectoryOfFilesAsync(QumuloClient client, string rootName, int files)
    {
        var root = _server.Cluster.CreateDirectory("/", rootName).Path;
        var directory = _server.Cluster.CreateDirectory(root, "d");
        var made = Enumerable.Range(0, files).Select(i => _server.Cluster.CreateFile(directory.Path, $"f{i}")).ToList();
        var store = new MemoryIndexStore();
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "h", RootPath = root, SnapshotMode = CrawlSnapshotMode.None }, store, null, CancellationToken.None);
        return (root, directory, made, store);
    }

    /// <summary>Rewrites the first <paramref name="changed"/> of <paramref name="files"/> files in one directory and applies their write events.</summary>
    private async Task<(ApplyStats Stats, MemoryIndexStore Store, List<Qindex.Simulator.Model.FsAttributes> Changed)> WriteSomeAsync(string rootName, int files, int changed, long size)
    {
        using var client = Client();
        var (root, directory, made, store) = await DirectoryOfFilesAsync(client, rootName, files);
        var written = made.Take(changed).Select(f => _server.Cluster.ReplaceData(f.Path, size)).ToList();
        var applier = new PlanApplier(client, new WatchOptions { ClusterHost = "h", RootPath = root, ListThreshold = 32 });
        var stats = await ApplyAsync(applier, store, Coalesce(root, written.Select(f => Event("child_data_written", root, f.Path, directory.Id, f.Id))));
        return (stats, store, written);
    }

    [Fact]
    public async Task A_few_changes_that_are_a_large_share_of_a_small_directory_are_read_with_a_listing()
    {
        // Before, fewer than ListThreshold changes in a directory took a request each: 5 here.
        var (stats, store, changed) = await WriteSomeAsync("small share", files: 8, changed: 4, size: 4096);

        Assert.Equal(1, stats.Listings);
        Assert.Equal(1, stats.AttributeRequests); // the directory's own row, which says how many entries it holds
        Assert.Equal(new RequestSplit(Directories: 1, Entries: 0, EntriesGone: 0, ById: 0, Links: 0), stats.Split);
        Assert.All(changed, f => Assert.Equal(4096, store.Rows[f.Path].Size));
    }

    [Fact]
    public async Task Many_changes_that_are_a_small_share_of_a_large_directory_are_read_one_by_one()
    {
        // Before, 32 changes or more listed the directory whatever its size: under the churn at 1M
        // rows, 138 pages (2.7 s, one after the other) for 565 changes in a directory of 138,000.
        var (stats, store, changed) = await WriteSomeAsync("large dir", files: 400, changed: 40, size: 512);

        Assert.Equal(0, stats.Listings);
        Assert.Equal(41, stats.AttributeRequests);
        Assert.Equal(new RequestSplit(Directories: 1, Entries: 40, EntriesGone: 0, ById: 0, Links: 0), stats.Split);
        Assert.All(changed, f => Assert.Equal(512, store.Rows[f.Path].Size));
    }

    [Fact]
    public async Task Entries_gone_with_their_renamed_directory_are_found_with_one_listing_of_it()
    {
        // Before, each entry was read at its old path (404), then by id: 12 requests here. The
        // directory's rename is a later event, which must find their rows at the old path.
        using var client = Client();
        var (root, directory, files, store) = await DirectoryOfFilesAsync(client, "moved on", 10);
        var changed = files.Take(5).Select(f => _server.Cluster.ReplaceData(f.Path, 777)).ToList();
        _server.Cluster.Rename(root, "e", directory.Path);
        var applier = new PlanApplier(client, new WatchOptions { ClusterHost = "h", RootPath = root });
        var stats = await ApplyAsync(applier, store, Coalesce(root, changed.Select(f => Event("child_data_written", root, f.Path, directory.Id, f.Id))));

        Assert.Equal(1, stats.Listings);
        Assert.Equal(2, stats.AttributeRequests); // the directory at its old path (gone), then by id
        Assert.Equal(new RequestSplit(Directories: 1, Entries: 0, EntriesGone: 0, ById: 1, Links: 0), stats.Split);
        Assert.All(changed, f => Assert.Equal(777, store.Rows[f.Path].Size));

        await ApplyAsync(applier, store, Coalesce(root, [
            Event("child_dir_moved_from", root, directory.Path.TrimEnd('/'), directory.Id),
            Event("child_dir_moved_to", root, root + "e", directory.Id),
        ]));
        Assert.DoesNotContain(store.Rows.Keys, k => k.StartsWith(directory.Path, StringComparison.Ordinal));
        Assert.All(files, f => Assert.Equal(_server.Cluster.GetAttributes(root + "e/" + f.Name).Size, store.Rows[root + "e/" + f.Name].Size));
        Assert.Equal(777, store.Rows[root + "e/f0"].Size);
    }

    [Fact]
    public async Task A_moved_directory_that_is_refreshed_itself_is_read_by_id_once()
    {
        // A new file makes the directory's own row a refresh too: its row and its entries are
        // answered by the same read by id (3 requests before: one more for its own row).
        using var client = Client();
        var (root, directory, files, store) = await DirectoryOfFilesAsync(client, "moved and refreshed", 6);
        var changed = files.Take(3).Select(f => _server.Cluster.ReplaceData(f.Path, 333)).ToList();
        var added = _server.Cluster.CreateFile(directory.Path, "new");
        _server.Cluster.Rename(root, "e", directory.Path);
        var applier = new PlanApplier(client, new WatchOptions { ClusterHost = "h", RootPath = root });
        var stats = await ApplyAsync(applier, store, Coalesce(root, [
            .. changed.Select(f => Event("child_data_written", root, f.Path, directory.Id, f.Id)),
            Event("child_file_added", root, added.Path, directory.Id, added.Id),
        ]));

        Assert.Equal(1, stats.Listings);
        Assert.Equal(2, stats.AttributeRequests); // the directory at its old path (gone), then by id
        Assert.All(changed, f => Assert.Equal(333, store.Rows[f.Path].Size));
        Assert.Contains(added.Path, store.Rows.Keys);
        Assert.Equal(_server.Cluster.GetAttributes(root + "e/").ModificationTime.ToDateTimeOffset(), store.Rows[directory.Path].ModificationTime!.Value, TimeSpan.FromMilliseconds(0.001));
    }

    private static Notification Event(string type, string root, string path, params long[] spine) =>
        new(type, path, path[root.Length..], ["1", .. spine.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))], null);

    private async Task<(QumuloClient Client, MemoryIndexStore Store, PlanApplier Applier, string Root, Qindex.Simulator.Model.FsAttributes File)> LinkedSetupAsync()
    {
        var client = Client();
        var root = _server.Cluster.CreateDirectory("/", "links").Path;
        var file = _server.Cluster.CreateFile(root, "original");
        var store = new MemoryIndexStore();
        var applier = await CrawlAsync(client, store, root);
        return (client, store, applier, root, file);
    }

    /// <summary>Crawls <paramref name="root"/> into the store and returns an applier whose link map is the index's.</summary>
    private static async Task<PlanApplier> CrawlAsync(QumuloClient client, MemoryIndexStore store, string root)
    {
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "h", RootPath = root, SnapshotMode = CrawlSnapshotMode.None }, store, null, CancellationToken.None);
        var links = new HardLinkMap();
        links.Reset(await store.LinkedAsync(CancellationToken.None));
        return new PlanApplier(client, new WatchOptions { ClusterHost = "h", RootPath = root }, links, store);
    }

    private void AssertRowMatchesCluster(MemoryIndexStore store, string path)
    {
        var cluster = _server.Cluster.GetAttributes(path);
        var row = store.Rows[path];
        Assert.Equal(cluster.NumLinks, row.NumLinks);
        Assert.Equal(cluster.ChangeTime.ToDateTimeOffset(), row.ChangeTime!.Value, TimeSpan.FromMilliseconds(0.001));
    }

    [Fact]
    public async Task A_link_made_and_removed_within_one_window_refreshes_the_other_name()
    {
        // Failed before the fix: the new name was gone when read, nothing in the window named the
        // original, so the original kept the change_time from before the link came and went.
        var (client, store, applier, root, file) = await LinkedSetupAsync();
        using var _ = client;
        var link = _server.Cluster.CreateLink(root, "link", file.Path);
        _server.Cluster.Delete(link.Path);
        await ApplyAsync(applier, store, Coalesce(root, [
            Event("child_file_added", root, root + "link", file.Id),
            Event("child_file_removed", root, root + "link", file.Id),
        ]));

        Assert.DoesNotContain(root + "link", store.Rows.Keys);
        AssertRowMatchesCluster(store, file.Path);
    }

    [Fact]
    public async Task A_link_removed_before_its_add_was_read_refreshes_the_other_name()
    {
        // Failed before the fix: the add's window read the link by id (it was gone) and wrote a row
        // with one link; the removal's window found no other name in the link map.
        var (client, store, applier, root, file) = await LinkedSetupAsync();
        using var _ = client;
        var link = _server.Cluster.CreateLink(root, "link", file.Path);
        _server.Cluster.Delete(link.Path);
        await ApplyAsync(applier, store, Coalesce(root, [Event("child_file_added", root, root + "link", file.Id)]));
        await ApplyAsync(applier, store, Coalesce(root, [Event("child_file_removed", root, root + "link", file.Id)]));

        Assert.DoesNotContain(root + "link", store.Rows.Keys);
        AssertRowMatchesCluster(store, file.Path);
    }

    [Fact]
    public async Task A_link_renamed_before_its_add_was_read_is_found_under_both_names()
    {
        var (client, store, applier, root, file) = await LinkedSetupAsync();
        using var _ = client;
        var link = _server.Cluster.CreateLink(root, "link", file.Path);
        _server.Cluster.Rename(root, "link renamed", link.Path);
        await ApplyAsync(applier, store, Coalesce(root, [Event("child_file_added", root, root + "link", file.Id)]));
        await ApplyAsync(applier, store, Coalesce(root, [
            Event("child_file_moved_from", root, root + "link", file.Id),
            Event("child_file_moved_to", root, root + "link renamed", file.Id),
        ]));

        Assert.DoesNotContain(root + "link", store.Rows.Keys);
        AssertRowMatchesCluster(store, file.Path);
        AssertRowMatchesCluster(store, root + "link renamed");
    }

    [Fact]
    public async Task Removing_a_tree_that_holds_a_link_refreshes_the_file_s_name_outside_it()
    {
        // Failed before the fix: the tree's removal dropped its paths from the link map before the
        // link's own removal event was resolved, so nothing led to the name left outside.
        var (client, store, _, root, file) = await LinkedSetupAsync();
        using var _ = client;
        var tree = _server.Cluster.CreateDirectory(root, "tree");
        var link = _server.Cluster.CreateLink(tree.Path, "link", file.Path);
        var applier = await CrawlAsync(client, store, root);
        Assert.Equal(2, store.Rows[file.Path].NumLinks);

        _server.Cluster.Delete(link.Path);
        _server.Cluster.Delete(tree.Path);
        await ApplyAsync(applier, store, Coalesce(root, [
            Event("child_file_removed", root, link.Path, tree.Id, file.Id),
            Event("child_dir_removed", root, tree.Path, tree.Id),
        ]));

        Assert.DoesNotContain(link.Path, store.Rows.Keys);
        AssertRowMatchesCluster(store, file.Path);
        Assert.Equal(1, store.Rows[file.Path].NumLinks);
    }

    [Fact]
    public async Task A_new_link_to_a_file_whose_directory_was_renamed_in_the_same_window_updates_it_under_its_new_path()
    {
        // Failed before the fix: the other name came from the committed index (its old path),
        // which was gone, and the row the rename moved kept num_links 1.
        var (client, store, _, root, _) = await LinkedSetupAsync();
        using var _ = client;
        var a = _server.Cluster.CreateDirectory(root, "a");
        var inner = _server.Cluster.CreateFile(a.Path, "inner");
        var applier = await CrawlAsync(client, store, root);

        _server.Cluster.Rename(root, "b", a.Path);
        var link = _server.Cluster.CreateLink(root, "link", root + "b/inner");
        await ApplyAsync(applier, store, Coalesce(root, [
            Event("child_dir_moved_from", root, root + "a", a.Id),
            Event("child_dir_moved_to", root, root + "b", a.Id),
            Event("child_file_added", root, link.Path, inner.Id),
        ]));

        AssertRowMatchesCluster(store, root + "b/inner");
        Assert.Equal(2, store.Rows[root + "b/inner"].NumLinks);
        AssertRowMatchesCluster(store, link.Path);
    }

    [Fact]
    public async Task A_crawled_directory_whose_link_is_gone_refreshes_the_file_s_name_outside_it()
    {
        // Failed before the fix: the crawl dropped the directory's paths from the link map and did
        // not bring back the removed link, so the name outside it kept num_links 2.
        var (client, store, _, root, file) = await LinkedSetupAsync();
        using var _ = client;
        var tree = _server.Cluster.CreateDirectory(root, "tree");
        var link = _server.Cluster.CreateLink(tree.Path, "link", file.Path);
        var applier = await CrawlAsync(client, store, root);

        _server.Cluster.Delete(link.Path);
        await ApplyAsync(applier, store, Coalesce(root, [Event("child_dir_moved_to", root, tree.Path.TrimEnd('/'), tree.Id)]));

        Assert.DoesNotContain(link.Path, store.Rows.Keys);
        AssertRowMatchesCluster(store, file.Path);
        Assert.Equal(1, store.Rows[file.Path].NumLinks);
    }

    [Fact]
    public async Task New_links_find_the_file_s_other_name_by_id_without_a_query_of_the_index()
    {
        // Before, every batch that made a link queried the index for the file's other names, a
        // read of every row's id (seconds a batch at 10M rows).
        var (client, store, applier, root, file) = await LinkedSetupAsync();
        using var _ = client;
        var first = _server.Cluster.CreateLink(root, "first", file.Path);
        var second = _server.Cluster.CreateLink(root, "second", file.Path);
        var stats = await ApplyAsync(applier, store, Coalesce(root, [
            Event("child_file_added", root, first.Path, file.Id),
            Event("child_file_added", root, second.Path, file.Id),
        ]));

        Assert.Equal(0, stats.LinkQueries);
        Assert.Equal(3, store.Rows[file.Path].NumLinks);
        AssertRowMatchesCluster(store, file.Path);
        AssertRowMatchesCluster(store, first.Path);
        AssertRowMatchesCluster(store, second.Path);
    }

    [Fact]
    public async Task A_file_made_and_linked_in_one_window_needs_no_query_of_the_index()
    {
        var (client, store, applier, root, _) = await LinkedSetupAsync();
        using var _ = client;
        var made = _server.Cluster.CreateFile(root, "made");
        var link = _server.Cluster.CreateLink(root, "made-link", made.Path);
        var stats = await ApplyAsync(applier, store, Coalesce(root, [
            Event("child_file_added", root, made.Path, made.Id),
            Event("child_file_added", root, link.Path, made.Id),
        ]));

        Assert.Equal(0, stats.LinkQueries);
        Assert.Equal(2, store.Rows[made.Path].NumLinks);
        AssertRowMatchesCluster(store, made.Path);
        AssertRowMatchesCluster(store, link.Path);
    }

    [Fact]
    public async Task A_new_link_whose_other_name_the_cluster_does_not_give_inside_the_tree_asks_the_index()
    {
        var (client, store, applier, root, _) = await LinkedSetupAsync();
        using var _ = client;
        var outside = _server.Cluster.CreateFile("/", "outside-the-watched-tree");
        var link = _server.Cluster.CreateLink(root, "link-to-outside", outside.Path);
        var stats = await ApplyAsync(applier, store, Coalesce(root, [Event("child_file_added", root, link.Path, outside.Id)]));

        Assert.Equal(1, stats.LinkQueries);
        AssertRowMatchesCluster(store, link.Path);
        Assert.DoesNotContain(outside.Path, store.Rows.Keys);
    }
}
