using System.Globalization;

namespace Qindex.Index.Watch;

/// <summary>
/// The keys the watcher records with every commit (in the Iceberg snapshot summary, through
/// <see cref="Store.IIndexChangeSet.CommitAsync"/>), so the position and the data it describes
/// land together. <c>qindex status</c> reads them back to show freshness.
/// </summary>
public static class WatchCheckpoint
{
    /// <summary>batch, catch-up or self-removed.</summary>
    public const string Kind = "qindex.watch.kind";

    /// <summary>When the commit was made (ISO 8601, UTC).</summary>
    public const string LastApplied = "qindex.watch.last-applied";

    /// <summary>When the newest event in the commit was received.</summary>
    public const string LastEventReceived = "qindex.watch.last-event-received";

    /// <summary>Milliseconds from receiving the oldest event of the commit to the commit.</summary>
    public const string LagMilliseconds = "qindex.watch.lag-ms";

    /// <summary>Events applied by the commit.</summary>
    public const string Events = "qindex.watch.events";

    /// <summary>The watched path.</summary>
    public const string Root = "qindex.watch.root";

    /// <summary>Formats a time as the checkpoint stores it.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
