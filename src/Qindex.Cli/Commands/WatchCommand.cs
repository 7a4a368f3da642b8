using System.CommandLine;
using Microsoft.Extensions.Logging;
using Prometheus;
using Qindex.Index.Store;
using Qindex.Index.Watch;
using Qindex.Qumulo;

namespace Qindex.Cli.Commands;

/// <summary>
/// <c>qindex watch</c>: keeps the index live by following the cluster's change notifications,
/// one commit per batch window, catching up from snapshots at every start and reconnect.
/// </summary>
internal sealed class WatchCommand : ICliCommand
{
    /// <summary>Exit code when the watch cannot go on (no privilege, recursive notify disabled, root removed).</summary>
    public const int StoppedExitCode = 3;

    public Command Build()
    {
        var cluster = new ClusterOptions();
        var index = new IndexOptions();
        var path = new Option<string>("--path") { Description = "Directory to watch (the index's root).", DefaultValueFactory = _ => "/" };
        var filter = new Option<string?>("--filter") { Description = "Comma-separated event types to ask for (default: all; fewer types can leave the index behind)." };
        var window = new Option<string>("--batch-window") { Description = "How long to gather events into one commit (e.g. 500ms, 1s, 2s).", DefaultValueFactory = _ => "1s" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Close a batch early at this many events.", DefaultValueFactory = _ => 100_000 };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics (HOST from --metrics-host)." }.IsOptionalPort();
        var metricsHost = new Option<string>("--metrics-host")
        {
            Description = "The address the metrics endpoint listens on: 127.0.0.1 (default, this machine only), another IP address of this machine (e.g. 10.0.0.5, scraped as http://10.0.0.5:PORT/metrics), or * for every interface.",
            DefaultValueFactory = _ => "127.0.0.1",
        }.IsListenAddress();
        var retryBudget = new Option<double>("--retry-budget") { Description = "Seconds one request keeps being retried after 429, 503 or a dropped connection before it fails (a failed catch-up is retried after a reconnect).", DefaultValueFactory = _ => 120 }.InRange(0.001, 86_400.0);
        var allowNonRecursive = new Option<bool>("--allow-non-recursive") { Description = "Watch even when the cluster serves recursive watches as non-recursive (DISABLED_IGNORE); deeper changes then arrive only at baseline catch-ups." };
        var logFormat = new Option<string>("--log-format") { Description = "text or json (one JSON object per line).", DefaultValueFactory = _ => "text" };
        var verbose = new Option<bool>("--verbose") { Description = "Log every batch." };
        var retention = IndexOptions.ChangesRetention();
        var baselineMinutes = new Option<double>("--baseline-minutes") { Description = "Take a new baseline snapshot (a catch-up without reconnecting) this often; 0 only at start and reconnects.", DefaultValueFactory = _ => 30 };
        var command = new Command(
            "watch",
            "Keep the index live: follow change notifications, apply them in batches, catch up after every gap.\n\nExample:\n  qindex watch --host 127.0.0.1 --port 8000 --ca-cert sim.pem --user admin --password admin --path / --index ./idx --metrics-port 9108\n\nMetrics from another host (a Prometheus server elsewhere), on this machine's address 10.0.0.5:\n  qindex watch ... --metrics-port 9108 --metrics-host 10.0.0.5");
        cluster.AddTo(command);
        index.AddTo(command);
        foreach (var option in new Option[] { path, filter, window, maxBatch, metricsPort, metricsHost, allowNonRecursive, logFormat, verbose, baselineMinutes, retryBudget, retention })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var format = parse.GetValue(logFormat);
            if (format is not ("text" or "json"))
            {
                await Console.Error.WriteLineAsync($"error: --log-format takes text or json, not '{format}'.");
                return 2;
            }

            var logger = new LineLogger(format == "json", parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information);
            try
            {
                var batchWindow = ParseDuration(parse.GetValue(window)!);
                if (parse.GetValue(maxBatch) < 1)
                {
                    throw new ArgumentException("--max-batch must be at least 1.");
                }

                var connection = await cluster.ConnectionAsync(parse, cancellationToken) with { RetryBudget = TimeSpan.FromSeconds(parse.GetValue(retryBudget)) };
                using var client = new QumuloClient(connection, 32);
                var location = index.Location(parse);

                // A watch that fails before its first commit (cluster unreachable, credentials or
                // privilege refused, recursive notification disabled, Ctrl-C) leaves no index
                // directory it created. So a new index is not crawled here but by the watcher's
                // first catch-up, once the cluster has accepted the notify stream.
                await using var creation = index.BeginCreate(parse);
                await using var store = await creation.OpenAsync(cancellationToken);
                if (store is IcebergIndexStore kept)
                {
                    kept.ChangesRetention = OptionValidation.Duration(parse.GetValue(retention)!);
                }

                var root = parse.GetValue(path)!;
                var status = await store.GetStatusAsync(cancellationToken);
                if (status.Baseline is null && status.Rows == 0)
                {
                    logger.LogInformation("the index is empty: the first catch-up crawls {Root} once the notify stream is open", root);
                }

                var metrics = new WatchMetrics();
                var listenHost = OptionValidation.ListenerHost(parse.GetValue(metricsHost)!);
                using var server = parse.GetValue(metricsPort) is { } port ? StartMetrics(listenHost, port, metrics) : null;
                if (server is not null)
                {
                    logger.LogInformation("Prometheus metrics at http://{Host}:{Port}/metrics", listenHost == "+" ? "HOST" : listenHost, parse.GetValue(metricsPort));
                }

                var minutes = parse.GetValue(baselineMinutes);
                var options = new WatchOptions
                {
                    ClusterHost = connection.Host,
                    RootPath = root,
                    Filter = parse.GetValue(filter)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    BatchWindow = batchWindow,
                    MaxBatch = parse.GetValue(maxBatch),
                    AllowNonRecursive = parse.GetValue(allowNonRecursive),
                    BaselineInterval = minutes > 0 ? TimeSpan.FromMinutes(minutes) : null,
                };
                // Compaction runs beside the batches (only its commit waits for theirs); disposed
                // before the store, so a running one is cancelled and cleaned up first.
                await using var compaction = store is IcebergIndexStore iceberg
                    ? new Qindex.Index.Compaction.BackgroundCompaction(
                        iceberg,
                        new Qindex.Index.Compaction.CompactionOptions(),
                        (result, elapsed) => logger.LogDebug("compaction in {Seconds:F1} s: {Reason}", elapsed.TotalSeconds, result.Reason),
                        e => logger.LogWarning("compaction failed (the watch goes on; it runs again after the next batch): {Reason}", e.Message))
                    : null;
                var watcher = new Watcher(client, store, location.IndexDirectory, options, metrics, logger)
                {
                    Maintenance = store is IcebergIndexStore maintained ? token => MaintainAsync(maintained, logger, token) : null,
                    Compaction = token =>
                    {
                        compaction?.StartIfDue();
                        return Task.CompletedTask;
                    },
                };
                long events = 0, batches = 0;
                var lastReport = DateTime.UtcNow;
                watcher.Committed += c =>
                {
                    creation.Complete();
                    if (c.CatchUp)
                    {
                        return;
                    }

                    events += c.Events;
                    batches++;
                    if ((DateTime.UtcNow - lastReport).TotalSeconds >= 10)
                    {
                        lastReport = DateTime.UtcNow;
                        logger.LogInformation("{Events} events applied in {Batches} batches; last batch {BatchEvents} events, {Upserts} upserts, {Deletes} deletes", events, batches, c.Events, c.Stats.Upserts, c.Stats.Deletes);
                    }
                };

                logger.LogInformation("watching {Root} on {Cluster} into {Index}", root, connection.ToString(), location.IndexDirectory);
                var exit = await watcher.RunAsync(cancellationToken);
                if (exit == WatchExit.RootRemoved)
                {
                    logger.LogError("the watched directory {Root} was removed on the cluster: its rows were deleted and the watch stopped", root);
                    return StoppedExitCode;
                }

                logger.LogInformation("stopped: {Events} events applied in {Batches} batches; nothing half-applied", events, batches);
                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                logger.LogInformation("stopped before the first catch-up finished; the index was left as it was");
                return 0;
            }
            catch (WatchStoppedException e)
            {
                logger.LogError("watch stopped: {Reason}", e.Message);
                return StoppedExitCode;
            }
            catch (Exception e) when (e is QumuloApiException or HttpRequestException or ArgumentException or IOException or InvalidOperationException or IndexStoreException or FormatException)
            {
                logger.LogError("watch failed: {Reason}", e.Message);
                return 1;
            }
        });
        return command;
    }

    /// <summary>Starts the Prometheus endpoint; a port in use or an address not of this machine is a clear error, not a trace.</summary>
    private static IMetricServer StartMetrics(string host, int port, WatchMetrics metrics)
    {
        try
        {
            return new MetricServer(host, port, "metrics/", metrics.Registry).Start();
        }
        catch (System.Net.HttpListenerException e)
        {
            var where = host == "+" ? $"every interface, port {port}" : $"{host}:{port}";
            throw new CommandException($"cannot serve metrics on {where} ({e.Message}): choose another --metrics-port, or a --metrics-host address this machine has", e);
        }
    }

    private static async Task MaintainAsync(IcebergIndexStore store, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var result = await Qindex.Index.Compaction.IndexMaintenance.RunAsync(store, new Qindex.Index.Compaction.MaintenanceOptions { Compaction = null }, cancellationToken);
            logger.LogDebug("maintenance: {Result}", result);
        }
        catch (Exception e) when (e is IOException or IndexStoreException or Qindex.Iceberg.IcebergException)
        {
            logger.LogWarning("maintenance failed (the watch goes on): {Reason}", e.Message);
        }
    }

    /// <summary>Parses 500ms, 1s, 2.5s, 1m.</summary>
    internal static TimeSpan ParseDuration(string text) =>
        OptionValidation.TryParseDuration(text, out var duration)
            ? duration
            : throw new ArgumentException($"--batch-window takes a positive duration such as 500ms, 1s or 2s, not '{text}'.");
}
