using Qindex.Index.Watch;

namespace Qindex.Index.Tests.Watch;

/// <summary>The journal a catch-up refreshes names every path a batch wrote, not only the paths its events named.</summary>
public sealed class TouchedPathJournalTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Paths_a_batch_wrote_rows_at_are_journaled_beside_the_plan_and_survive_a_reopen()
    {
        // The event named /a/f; the entry, read by id, answered from /b/f (its directory was renamed meanwhile).
        var plan = new WatchPlan([new StructuralStep(StructuralKind.Delete, "/gone")], [], ["/a/f"], SelfRemoved: false);
        await new TouchedPathJournal(_dir).AppendAsync(plan, ["/b/f", "/b/"], CancellationToken.None);

        var read = await new TouchedPathJournal(_dir).ReadAsync(CancellationToken.None);

        Assert.Equal(
            new[] { ("/a/f", false), ("/b/", false), ("/b/f", false), ("/gone", false) },
            read.OrderBy(r => r.Path, StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Paths_with_quotes_newlines_percent_signs_and_non_ASCII_survive_the_journal_one_line_each()
    {
        var odd = PipelineFixtures.OddPaths;
        var plan = new WatchPlan([new StructuralStep(StructuralKind.MoveSubtree, odd[0] + "/", odd[1] + "/")], [odd[2] + "/"], [odd[3]], SelfRemoved: false);
        var journal = new TouchedPathJournal(_dir);
        await journal.AppendAsync(plan, odd.Skip(4), CancellationToken.None);
        await journal.AppendAsync(new WatchPlan([], [], [], SelfRemoved: false), ["/after"], CancellationToken.None);

        var read = await new TouchedPathJournal(_dir).ReadAsync(CancellationToken.None);

        var expected = new[] { (odd[0] + "/", true), (odd[1] + "/", true), (odd[2] + "/", true), (odd[3], false), ("/after", false) }
            .Concat(odd.Skip(4).Select(p => (p, false)));
        Assert.Equal(expected.OrderBy(r => r.Item1, StringComparer.Ordinal), read.OrderBy(r => r.Path, StringComparer.Ordinal).ToArray());
        Assert.Equal(odd.Length + 1, File.ReadAllLines(journal.FilePath).Length);
    }

    [Fact]
    public async Task A_journal_remembers_a_bounded_number_of_paths_and_reading_still_gives_each_path_once()
    {
        var journal = new TouchedPathJournal(_dir, rememberedPaths: 3);
        var plan = new WatchPlan([], [], [], SelfRemoved: false);
        for (int round = 0; round < 3; round++)
        {
            await journal.AppendAsync(plan, Enumerable.Range(0, 10).Select(i => $"/d/f{i}"), CancellationToken.None);
            Assert.True(journal.Remembered <= 3, $"remembers {journal.Remembered} paths");
        }

        var read = await new TouchedPathJournal(_dir).ReadAsync(CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"/d/f{i}").Order(StringComparer.Ordinal), read.Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.True(File.ReadAllLines(journal.FilePath).Length > 10, "repeats are written once the remembered paths are forgotten");
    }

    [Fact]
    public async Task Paths_beneath_a_directory_journaled_as_a_subtree_are_not_journaled_one_by_one()
    {
        // A directory moved in (crawled), one renamed (both its names are subtrees), one removed
        // whole: a catch-up crawls each again, which covers everything beneath.
        var plan = new WatchPlan(
            [new StructuralStep(StructuralKind.MoveSubtree, "/w/old name/", "/w/new \"name\"/"), new StructuralStep(StructuralKind.DeleteSubtree, "/w/gone/")],
            ["/w/in %41/"],
            ["/w/in %41/", "/w/in %41/refreshed", "/w/new \"name\"/f", "/w/refreshed"],
            SelfRemoved: false);
        var journal = new TouchedPathJournal(_dir);
        await journal.AppendAsync(plan, ["/w/in %41/a/b", "/w/in %41 beside", "/w/gone/x", "/w/old name/y", "/w/elsewhere/f", "/w/in"], CancellationToken.None);

        var read = await new TouchedPathJournal(_dir).ReadAsync(CancellationToken.None);

        Assert.Equal(
            new[]
            {
                ("/w/elsewhere/f", false), ("/w/gone/", true), ("/w/in", false), ("/w/in %41 beside", false), ("/w/in %41/", true),
                ("/w/new \"name\"/", true), ("/w/old name/", true), ("/w/refreshed", false),
            },
            read.OrderBy(r => r.Path, StringComparer.Ordinal).ToArray());
    }
}
