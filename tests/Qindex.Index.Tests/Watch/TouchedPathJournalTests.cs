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
}
