using Qindex.Index.Crawl;
using Qindex.Index.Store;
using Qindex.Index.Verify;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Model;

namespace Qindex.Index.Tests.Verify;

/// <summary>qindex verify: the index against a fresh walk of the simulator, over a real socket.</summary>
public sealed class IndexVerifierTests : IAsyncLifetime
{
    /// <summary>Names whose UTF-16 order differs from their UTF-8 byte order (a private-use letter against a supplementary-plane one), and others that break naive handling.</summary>
    private static readonly string[] AwkwardNames =
    [
        "it's a 'quote'", "double\"quote", "100%_done", "line\nbreak", "tab\tend", "back\\slash", "caf\u00e9 \u65e5\u672c\u8a9e",
        "private \ue000 use", "ext-b \U00020000 letter", "music \U0001D11E clef", " leading space",
    ];

    private SimulatorCluster _cluster = null!;
    private string _indexDir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimulatorCluster.StartAsync(new SimulatorOptions { Objects = 1500, Seed = 21 });
        _indexDir = _cluster.NewIndexDirectory();
        _cluster.Server.Cluster.CreateDirectory("/", "odd names");
        foreach (var name in AwkwardNames)
        {
            _cluster.Server.Cluster.CreateFile("/odd names/", name);
            _cluster.Server.Cluster.CreateDirectory("/odd names/", "dir " + name);
            _cluster.Server.Cluster.CreateFile("/odd names/dir " + name + "/", "inside");
        }
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_fresh_crawl_equals_the_cluster_and_the_verify_snapshot_is_deleted()
    {
        await CrawlAsync();
        var snapshotsBefore = _cluster.Server.Cluster.ListSnapshots().Select(s => s.Id).ToList();

        var report = await VerifyAsync();

        Assert.True(report.Equal, Describe(report));
        Assert.Equal(ModelCount("/"), report.ClusterRows);
        Assert.Equal(report.ClusterRows, report.IndexRows);
        Assert.NotNull(report.SnapshotId);
        Assert.DoesNotContain("ingest_ts", report.ComparedColumns);
        Assert.Contains("access_time", report.ComparedColumns);
        Assert.Equal(snapshotsBefore, _cluster.Server.Cluster.ListSnapshots().Select(s => s.Id).ToList());
    }

    [Fact]
    public async Task Changes_made_after_the_crawl_are_reported_exactly()
    {
        await CrawlAsync();
        var files = Walk("/").Where(e => e.Type == FileType.File && !e.Path.StartsWith("/odd names/", StringComparison.Ordinal)).ToList();
        var written = files[0].Path;
        var deleted = files[^1].Path;
        var created = "/odd names/new 'one'\nhere.txt";
        var renamedFrom = "/odd names/dir line\nbreak/";
        var renamedTo = "/odd names/renamed \U00020000/";

        _cluster.Server.Cluster.ReplaceData(written, 123_457);
        _cluster.Server.Cluster.Delete(deleted);
        _cluster.Server.Cluster.CreateFile("/odd names/", created["/odd names/".Length..]);
        _cluster.Server.Cluster.Rename("/odd names/", renamedTo["/odd names/".Length..].TrimEnd('/'), renamedFrom.TrimEnd('/'));

        var report = await VerifyAsync(examples: 10);

        Assert.False(report.Equal);
        Assert.Equal(new[] { created, renamedTo, renamedTo + "inside" }.Order(PathOrder.Instance), report.MissingExamples);
        Assert.Equal(3, report.Missing);
        Assert.Equal(new[] { deleted, renamedFrom, renamedFrom + "inside" }.Order(PathOrder.Instance), report.ExtraExamples);
        Assert.Equal(3, report.Extra);

        // The written file, and the directories whose entries changed (mtime, ctime, child count).
        var expectedDifferent = new[] { written, "/odd names/", Parent(deleted) }.Distinct().Order(PathOrder.Instance).ToList();
        Assert.Equal(expectedDifferent, report.DifferentExamples.Select(d => d.Path).ToList());
        Assert.Equal(expectedDifferent.Count, report.Different);
        var write = report.DifferentExamples.Single(d => d.Path == written);
        Assert.Contains(write.Columns, c => c is { Column: "size", ClusterValue: "123457" });
        Assert.Contains(write.Columns, c => c.Column == "modification_time");
        Assert.DoesNotContain(write.Columns, c => c.Column is "path" or "name" or "id" or "ingest_ts");
        Assert.Equal(1, report.DifferentColumns["size"]);
    }

    [Fact]
    public async Task Access_time_is_compared_unless_ignored()
    {
        await CrawlAsync();
        var file = Walk("/").First(e => e.Type == FileType.File).Path;
        _cluster.Server.Cluster.PatchAttributes(file, new AttributePatch { AccessTime = FsTimestamp.Parse("2031-02-03T04:05:06.123456789Z") });

        // Setting a time is a metadata change, so change_time moved too.
        var strict = await VerifyAsync();
        var row = Assert.Single(strict.DifferentExamples);
        Assert.Equal(file, row.Path);
        Assert.Equal(["access_time", "change_time"], row.Columns.Select(c => c.Column).Order(StringComparer.Ordinal));
        Assert.Equal("2031-02-03 04:05:06.123456", row.Columns.Single(c => c.Column == "access_time").ClusterValue);

        var lenient = await VerifyAsync(ignoreAtime: true);
        Assert.Equal(["change_time"], Assert.Single(lenient.DifferentExamples).Columns.Select(c => c.Column));
        Assert.DoesNotContain("access_time", lenient.ComparedColumns);
    }

    [Fact]
    public async Task A_subtree_is_compared_with_the_index_rows_under_it_only()
    {
        await CrawlAsync();
        _cluster.Server.Cluster.CreateFile("/", "outside the subtree");

        var report = await VerifyAsync(path: "/odd names");

        Assert.True(report.Equal, Describe(report));
        Assert.Equal(ModelCount("/odd names/"), report.ClusterRows);
        Assert.Equal((AwkwardNames.Length * 3) + 1, report.ClusterRows);
    }

    [Fact]
    public async Task A_live_walk_without_a_snapshot_gives_the_same_verdict()
    {
        await CrawlAsync();
        _cluster.Server.Cluster.Delete("/odd names/dir tab\tend/inside");
        var report = await VerifyAsync(useSnapshot: false);
        Assert.Null(report.SnapshotId);
        Assert.Equal(["/odd names/dir tab\tend/inside"], report.ExtraExamples);
        Assert.Equal(["/odd names/dir tab\tend/"], report.DifferentExamples.Select(d => d.Path));
    }

    private static string Parent(string path) => path[..(path.TrimEnd('/').LastIndexOf('/') + 1)];

    private static string Describe(VerifyReport r) =>
        $"missing {r.Missing} [{string.Join(" | ", r.MissingExamples)}], extra {r.Extra} [{string.Join(" | ", r.ExtraExamples)}], different {r.Different} [{string.Join(" | ", r.DifferentExamples.Select(d => d.Path + ": " + string.Join(",", d.Columns.Select(c => c.Column))))}]";

    private long ModelCount(string root) => 1 + Walk(root).Count();

    private IEnumerable<FsAttributes> Walk(string directory)
    {
        foreach (var e in _cluster.Server.Cluster.EnumerateEntries(directory))
        {
            yield return e;
            if (e.Type == FileType.Directory)
            {
                foreach (var below in Walk(e.Path))
                {
                    yield return below;
                }
            }
        }
    }

    private QumuloClient Client() => _cluster.Client();

    private async Task CrawlAsync()
    {
        using var client = Client();
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/" }, store, null, CancellationToken.None);
    }

    private async Task<VerifyReport> VerifyAsync(string path = "/", bool ignoreAtime = false, bool useSnapshot = true, int examples = 5)
    {
        using var client = Client();
        await using var store = await IndexStoreFactory.OpenExistingAsync(new IndexLocation(_indexDir), CancellationToken.None);
        return await new IndexVerifier(client).RunAsync(
            new VerifyOptions { ClusterHost = "sim", RootPath = path, IgnoreAccessTime = ignoreAtime, UseSnapshot = useSnapshot, ExamplesPerKind = examples },
            store,
            null,
            CancellationToken.None);
    }
}
