using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.IO;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// Review finding 4 of issue 8: what another tool adds to the table metadata (a tag, a branch,
/// another partition spec, statistics, keys qindex does not know) survives qindex's commits, and
/// snapshot expiry keeps every snapshot a reference points at, with its files.
/// </summary>
public sealed class ForeignMetadataTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task ReplaceAsync(IIndexStore store, string path)
    {
        await using var writer = store.BeginReplace();
        await writer.AddAsync(new FileRecord { Path = path, Name = "n", Size = 1 }, CancellationToken.None);
        await writer.CommitAsync(null, CancellationToken.None);
    }

    [Fact]
    public async Task A_tag_added_by_another_tool_survives_the_next_crawl_and_expiry_keeps_its_files()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None);
        await ReplaceAsync(store, "/tagged");
        var tagged = store.Table.Metadata.CurrentSnapshotId!.Value;
        var taggedFiles = (await store.ScanAsync(CancellationToken.None)).DataFiles;

        // Another tool (Spark, pyiceberg) tags the snapshot and adds what qindex does not model.
        string before = store.Table.MetadataLocation;
        var json = JsonNode.Parse(await File.ReadAllTextAsync(LocalFileIO.ToPath(before)))!.AsObject();
        json["refs"]!.AsObject()["audit-2026"] = new JsonObject { ["snapshot-id"] = tagged, ["type"] = "tag", ["max-ref-age-ms"] = 31536000000L };
        json["refs"]!.AsObject()["experiment"] = new JsonObject { ["snapshot-id"] = tagged, ["type"] = "branch" };
        json["partition-specs"]!.AsArray().Add(new JsonObject
        {
            ["spec-id"] = 1,
            ["fields"] = new JsonArray(new JsonObject { ["name"] = "owner_bucket", ["transform"] = "bucket[16]", ["source-id"] = 9, ["field-id"] = 1000 }),
        });
        json["statistics"] = new JsonArray(new JsonObject
        {
            ["snapshot-id"] = tagged,
            ["statistics-path"] = "s3://elsewhere/stats.puffin",
            ["file-size-in-bytes"] = 100,
            ["file-footer-size-in-bytes"] = 20,
            ["blob-metadata"] = new JsonArray(),
        });
        json["partition-statistics"] = new JsonArray(new JsonObject { ["snapshot-id"] = tagged, ["statistics-path"] = "s3://elsewhere/p.parquet", ["file-size-in-bytes"] = 50 });
        json["x-other-tool"] = new JsonObject { ["keep"] = "me" };
        string after = MetadataFiles.Next(store.Table.Metadata.Location, before);
        await File.WriteAllTextAsync(LocalFileIO.ToPath(after), json.ToJsonString());
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "catalog.db")}"))
        {
            await connection.OpenAsync();
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE iceberg_tables SET metadata_location = @new, previous_metadata_location = metadata_location WHERE metadata_location = @old";
            update.Parameters.AddWithValue("@new", after);
            update.Parameters.AddWithValue("@old", before);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        // The next crawls (replacing commits) keep all of it.
        await ReplaceAsync(store, "/second");
        var secondFiles = (await store.ScanAsync(CancellationToken.None)).DataFiles;
        await ReplaceAsync(store, "/third");
        var current = JsonNode.Parse(await File.ReadAllTextAsync(LocalFileIO.ToPath(store.Table.MetadataLocation)))!.AsObject();
        Assert.Equal(tagged, (long)current["refs"]!["audit-2026"]!["snapshot-id"]!);
        Assert.Equal(31536000000L, (long)current["refs"]!["audit-2026"]!["max-ref-age-ms"]!);
        Assert.Equal("branch", (string)current["refs"]!["experiment"]!["type"]!);
        Assert.Equal(store.Table.Metadata.CurrentSnapshotId, (long)current["refs"]!["main"]!["snapshot-id"]!);
        Assert.Equal(2, current["partition-specs"]!.AsArray().Count);
        Assert.Equal("s3://elsewhere/stats.puffin", (string)current["statistics"]![0]!["statistics-path"]!);
        Assert.Equal("s3://elsewhere/p.parquet", (string)current["partition-statistics"]![0]!["statistics-path"]!);
        Assert.Equal("me", (string)current["x-other-tool"]!["keep"]!);

        // Expiry removes the untagged old snapshot and its files, never the tagged one.
        var expiry = await store.Table.ExpireSnapshotsAsync(DateTimeOffset.UtcNow.AddMinutes(1), 1, CancellationToken.None);
        Assert.Equal(1, expiry.SnapshotsRemoved);
        Assert.Contains(store.Table.Metadata.Snapshots, s => s.SnapshotId == tagged);
        Assert.All(taggedFiles, f => Assert.True(File.Exists(f), $"{f} of the tagged snapshot was deleted"));
        Assert.All(secondFiles, f => Assert.False(File.Exists(f)));
        var expired = JsonNode.Parse(await File.ReadAllTextAsync(LocalFileIO.ToPath(store.Table.MetadataLocation)))!.AsObject();
        Assert.Equal(tagged, (long)expired["refs"]!["audit-2026"]!["snapshot-id"]!);
        Assert.Single(expired["statistics"]!.AsArray());
    }
}
