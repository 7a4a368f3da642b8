using System.Runtime;

namespace Qindex.Index.Crawl;

/// <summary>
/// Hands a finished crawl's memory back before the process goes on to watch. Once the crawl has
/// committed, its sort runs, listing pages and write buffers are garbage, but a watcher allocates
/// little, so the collector may leave that heap in place for a long time: at 10M rows the managed
/// heap stayed near 2 GB for ten minutes of watching after the crawl (bench/RESULTS.md).
/// </summary>
public static class CrawlMemory
{
    /// <summary>One blocking, compacting collection of every generation (large objects included) that returns free memory to the system.</summary>
    public static void Release()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
