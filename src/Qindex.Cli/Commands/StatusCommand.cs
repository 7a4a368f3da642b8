using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Qindex.Cli.Commands;

/// <summary><c>qindex status</c>: rows, files, snapshots and baseline of the index.</summary>
internal sealed class StatusCommand : ICliCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Command Build()
    {
        var index = new IndexOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var command = new Command("status", "Show the size and baseline of the index.\nExample: qindex status --index ./idx --json");
        index.AddTo(command);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = await index.OpenExistingAsync(parse, cancellationToken);
            var status = await store.GetStatusAsync(cancellationToken);
            var checkpoint = status.Checkpoint;
            var lastApplied = checkpoint.TryGetValue(Qindex.Index.Watch.WatchCheckpoint.LastApplied, out var applied)
                && DateTimeOffset.TryParse(applied, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTimeOffset?)null;
            var lagMs = checkpoint.TryGetValue(Qindex.Index.Watch.WatchCheckpoint.LagMilliseconds, out var lag) ? lag : null;
            if (parse.GetValue(json))
            {
                var payload = new Dictionary<string, object?>
                {
                    ["rows"] = status.Rows,
                    ["data_bytes"] = status.DataBytes,
                    ["data_files"] = status.DataFiles,
                    ["delete_files"] = status.DeleteFiles,
                    ["snapshots"] = status.Snapshots,
                    ["baseline_cluster_host"] = status.Baseline?.ClusterHost,
                    ["baseline_root_path"] = status.Baseline?.RootPath,
                    ["baseline_cluster_snapshot_id"] = status.Baseline?.ClusterSnapshotId,
                    ["baseline_taken"] = status.Baseline?.Taken.ToString("O", CultureInfo.InvariantCulture),
                    ["last_commit"] = status.LastCommit?.ToString("O", CultureInfo.InvariantCulture),
                    ["table_location"] = status.TableLocation,
                    ["watch_last_applied"] = lastApplied?.ToString("O", CultureInfo.InvariantCulture),
                    ["watch_seconds_since_last_applied"] = lastApplied is { } t ? Math.Round((DateTimeOffset.UtcNow - t).TotalSeconds, 1) : null,
                    ["watch_last_batch_lag_ms"] = lagMs,
                    ["watch_last_commit_kind"] = checkpoint.GetValueOrDefault(Qindex.Index.Watch.WatchCheckpoint.Kind),
                };
                Console.WriteLine(JsonSerializer.Serialize(payload, JsonOptions));
            }
            else
            {
                var lines = new (string, string)[]
                {
                    ("rows", status.Rows.ToString("N0", CultureInfo.InvariantCulture)),
                    ("data bytes", status.DataBytes.ToString("N0", CultureInfo.InvariantCulture)),
                    ("data files", status.DataFiles.ToString(CultureInfo.InvariantCulture)),
                    ("delete files", status.DeleteFiles.ToString(CultureInfo.InvariantCulture)),
                    ("snapshots", status.Snapshots.ToString(CultureInfo.InvariantCulture)),
                    ("baseline", status.Baseline is { } b ? $"{b.ClusterHost}:{b.RootPath} snapshot {b.ClusterSnapshotId ?? "(none)"} taken {b.Taken:O}" : "(none: imported or empty)"),
                    ("last commit", status.LastCommit?.ToString("O", CultureInfo.InvariantCulture) ?? "(never)"),
                    ("table", status.TableLocation),
                    ("watch applied", lastApplied is { } t
                        ? $"{t:O} ({(DateTimeOffset.UtcNow - t).TotalSeconds:F0} s ago, {checkpoint.GetValueOrDefault(Qindex.Index.Watch.WatchCheckpoint.Kind, "batch")}; event-to-visible lag of that batch {lagMs ?? "?"} ms)"
                        : "(never: not watched yet)"),
                };
                foreach (var (name, value) in lines)
                {
                    Console.WriteLine($"{name,-13} {value}");
                }
            }

            return 0;
        });
        return command;
    }
}
