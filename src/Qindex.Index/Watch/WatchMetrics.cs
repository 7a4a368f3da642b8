using Prometheus;

namespace Qindex.Index.Watch;

/// <summary>
/// The watcher's Prometheus metrics, in a registry of their own (so tests and several watchers in
/// one process do not share counters). <c>qindex watch --metrics-port</c> serves them as text.
/// </summary>
public sealed class WatchMetrics
{
    public WatchMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        EventsReceived = factory.CreateCounter("qindex_watch_events_received_total", "Notifications received, by type.", "type");
        EventsApplied = factory.CreateCounter("qindex_watch_events_applied_total", "Notifications whose batch committed, by type.", "type");
        UnknownEvents = factory.CreateCounter("qindex_watch_unknown_events_total", "Notifications of a type this version does not know (refreshed, never fatal).");
        MalformedPayloads = factory.CreateCounter("qindex_watch_malformed_payloads_total", "Payloads that could not be parsed (each leads to a catch-up).");
        BatchSize = factory.CreateHistogram("qindex_watch_batch_events", "Events per committed batch.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 4, 10) });
        CommitSeconds = factory.CreateHistogram("qindex_watch_commit_seconds", "Time to resolve, apply and commit one batch.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 14) });
        VisibleLagSeconds = factory.CreateHistogram("qindex_watch_event_visible_lag_seconds", "From receiving an event to its batch being committed (visible to queries).", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.05, 2, 12) });
        Reconnects = factory.CreateCounter("qindex_watch_reconnects_total", "Notify streams reopened after ending.");
        CatchUps = factory.CreateCounter("qindex_watch_catchups_total", "Catch-ups run, by how (diff or recrawl).", "mode");
        LastApplied = factory.CreateGauge("qindex_watch_last_applied_timestamp_seconds", "Unix time of the last committed batch.");
        Buffered = factory.CreateGauge("qindex_watch_buffered_events", "Events received and waiting to be applied.");
        RowsUpserted = factory.CreateCounter("qindex_watch_rows_upserted_total", "Rows written by batches and catch-ups.");
        RowsDeleted = factory.CreateCounter("qindex_watch_rows_deleted_total", "Rows deleted by batches and catch-ups.");
        Requests = factory.CreateCounter("qindex_watch_resolve_requests_total", "Requests made to resolve events, by kind (attributes or listing).", "kind");
    }

    /// <summary>The registry holding every metric below.</summary>
    public CollectorRegistry Registry { get; }

    public Counter EventsReceived { get; }
    public Counter EventsApplied { get; }
    public Counter UnknownEvents { get; }
    public Counter MalformedPayloads { get; }
    public Histogram BatchSize { get; }
    public Histogram CommitSeconds { get; }
    public Histogram VisibleLagSeconds { get; }
    public Counter Reconnects { get; }
    public Counter CatchUps { get; }
    public Gauge LastApplied { get; }
    public Gauge Buffered { get; }
    public Counter RowsUpserted { get; }
    public Counter RowsDeleted { get; }
    public Counter Requests { get; }

    /// <summary>The metrics in Prometheus text format.</summary>
    public async Task<string> ExportAsync(CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(stream, cancellationToken).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
