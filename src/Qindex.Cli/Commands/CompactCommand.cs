using System.CommandLine;
using System.Globalization;
using Qindex.Iceberg;
using Qindex.Index.Compaction;
using Qindex.Index.Store;

namespace Qindex.Cli.Commands;

/// <summary>
/// <c>qindex compact</c>: the table maintenance the watcher runs in the background, on demand:
/// fold deletes and merge files, expire old snapshots, and remove files no metadata references.
/// </summary>
internal sealed class CompactCommand : ICliCommand
{
    public Command Build()
    {
        var index = new IndexOptions();
        var orphanAge = new Option<double>("--orphan-min-age-hours")
        {
            Description = "Remove unreferenced files (left by killed or failed writes) only when older than this many hours, so a write in progress is never touched.",
            DefaultValueFactory = _ => OrphanFiles.DefaultMinAge.TotalHours,
        }.AtLeast(0.0);
        var retention = IndexOptions.ChangesRetention();
        var command = new Command("compact", "Compact the index: rewrite its files sorted and without deletes, expire old snapshots and changes-table rows past retention, remove orphan files.\nExample: qindex compact --index ./idx --changes-retention 7d");
        index.AddTo(command);
        command.Options.Add(orphanAge);
        command.Options.Add(retention);
        command.SetAction(async (parse, cancellationToken) =>
        {
            double hours = parse.GetValue(orphanAge);

            try
            {
                await using var opened = await index.OpenExistingAsync(parse, cancellationToken);
                var store = (IcebergIndexStore)opened;
                store.ChangesRetention = OptionValidation.Duration(parse.GetValue(retention)!);
                var result = await IndexMaintenance.RunAsync(store, new MaintenanceOptions { Compaction = new CompactionOptions { Force = true }, OrphanMinAge = TimeSpan.FromHours(hours) }, cancellationToken);
                var compaction = result.Compaction!;
                Console.WriteLine(compaction.Compacted
                    ? string.Create(CultureInfo.InvariantCulture, $"compacted: {compaction.Reason}; {compaction.Rows:N0} rows")
                    : $"not compacted: {compaction.Reason}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"expired {result.Expiry.SnapshotsRemoved} snapshot(s), deleted {result.Expiry.FilesDeleted} file(s)"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"changes table: {result.ChangesFilesExpired} file(s) past retention removed, {result.ChangesFilesMerged} small file(s) merged"));
                var orphans = result.Orphans!;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"removed {orphans.Removed} orphan file(s) ({orphans.Bytes:N0} bytes), kept {orphans.TooYoung} younger than {hours} h"));
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexStoreException or IcebergException)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message);
                return 1;
            }
        });
        return command;
    }
}
