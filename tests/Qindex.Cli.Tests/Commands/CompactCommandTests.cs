using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Cli.Tests.Commands;

/// <summary>Issue 9 item 6: the <c>changes</c> table expires by a retention the user sets.</summary>
public sealed class CompactCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_changes_table_keeps_its_rows_within_the_retention_given_and_drops_them_after_it()
    {
        var index = Path.Combine(_dir, "idx");
        await using (var store = (IcebergIndexStore)await IndexStoreFactory.OpenAsync(new IndexLocation(index), CancellationToken.None))
        {
            await using (var writer = store.BeginReplace())
            {
                await writer.AddAsync(new FileRecord { Path = "/", Name = "", Type = "FS_FILE_TYPE_DIRECTORY" }, CancellationToken.None);
                await writer.CommitAsync(new IndexBaseline("cluster", "/", null, DateTimeOffset.UnixEpoch), CancellationToken.None);
            }

            await using (var changes = store.BeginChanges())
            {
                changes.Upsert(new FileRecord { Path = "/a 'b'", Name = "a 'b'", Type = "FS_FILE_TYPE_FILE", Size = 1 });
                changes.Upsert(new FileRecord { Path = "/c\u00e9", Name = "c\u00e9", Type = "FS_FILE_TYPE_FILE", Size = 2 });
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            await store.FlushChangesLogAsync();
        }

        var kept = await CliRunner.RunAsync(["compact", "--index", index, "--changes-retention", "1h"]);
        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.Contains("changes table: 0 file(s) past retention removed", kept.Stdout, StringComparison.Ordinal);
        Assert.Equal(2L, await ChangesAsync(index));

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var dropped = await CliRunner.RunAsync(["compact", "--index", index, "--changes-retention", "1s"]);
        Assert.True(dropped.ExitCode == 0, dropped.ToString());
        Assert.Contains("changes table: 1 file(s) past retention removed", dropped.Stdout, StringComparison.Ordinal);
        Assert.Equal(0L, await ChangesAsync(index));
    }

    private static async Task<long> ChangesAsync(string index)
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(index), CancellationToken.None);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        return Convert.ToInt64((await engine.QueryAsync("SELECT count(*) FROM changes", CancellationToken.None)).Rows[0][0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
