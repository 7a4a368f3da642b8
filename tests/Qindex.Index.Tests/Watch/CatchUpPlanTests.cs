using Qindex.Index.Watch;
using Qindex.Qumulo;

namespace Qindex.Index.Tests.Watch;

public sealed class CatchUpPlanTests
{
    [Fact]
    public void Deleted_directories_go_with_their_subtree_and_created_ones_are_crawled()
    {
        var plan = CatchUp.BuildPlan(
            [new SnapshotChange("DELETE", "/r/old/"), new SnapshotChange("CREATE", "/r/new/"), new SnapshotChange("MODIFY", "/r/f"), new SnapshotChange("DELETE", "/r/g")],
            [],
            "/r/");
        Assert.Equal([new StructuralStep(StructuralKind.DeleteSubtree, "/r/old/"), new StructuralStep(StructuralKind.Delete, "/r/g")], plan.Structural);
        Assert.Equal(["/r/new/"], plan.Crawl);
        Assert.Contains("/r/f", plan.Refresh);
        Assert.Contains("/r/", plan.Refresh);
    }

    [Fact]
    public void Paths_the_watcher_changed_since_the_baseline_are_read_again_even_when_the_difference_omits_them()
    {
        // Created after the baseline and removed before the new snapshot: the net difference is
        // silent, but the index may hold it (its creation was applied, its removal was not).
        var plan = CatchUp.BuildPlan([], [("/r/transient", false), ("/r/moved/", true)], "/r/");
        Assert.Contains("/r/transient", plan.Refresh);
        Assert.Equal(["/r/moved/"], plan.Crawl);
    }
}
