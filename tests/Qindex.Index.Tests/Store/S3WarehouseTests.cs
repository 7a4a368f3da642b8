using Amazon.S3;
using Amazon.S3.Model;
using Qindex.Iceberg.IO;
using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// An index whose warehouse is in S3, reached through the standard AWS settings: data, manifests
/// and metadata all land in the bucket, nothing in the local warehouse, and queries read the live
/// files through the local cache. Run against two servers on loopback: a fake written here (which
/// also checks the create-only precondition), and s3rver, which nobody here wrote, with its
/// request authentication on. The AWS settings are process-wide; no other test class uses S3, and
/// the tests of one class run one at a time.
/// </summary>
public sealed class S3WarehouseTests : IDisposable
{
    private const string Bucket = "qindex-test";

    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void UseS3(Uri endpoint, string accessKeyId, string secretAccessKey)
    {
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", endpoint.AbsoluteUri.TrimEnd('/'));
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", accessKeyId);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", secretAccessKey);
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
    }

    private static async Task<List<string>> ListKeysAsync(IAsyncDisposable server)
    {
        if (server is FakeS3Server fake)
        {
            return fake.Objects.Keys.Select(k => "s3://" + k).ToList();
        }

        var config = new AmazonS3Config { ServiceURL = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3"), ForcePathStyle = true, AuthenticationRegion = "us-east-1" };
        using var client = new AmazonS3Client(config);
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Bucket };
        ListObjectsV2Response response;
        do
        {
            response = await client.ListObjectsV2Async(request);
            keys.AddRange((response.S3Objects ?? []).Select(o => $"s3://{Bucket}/{o.Key}"));
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
        return keys;
    }

    [Theory]
    [InlineData("fake")]
    [InlineData("s3rver")]
    public async Task An_import_into_an_s3_warehouse_stores_every_table_file_in_the_bucket_and_queries_read_it(string server)
    {
        await using IAsyncDisposable s3 = server == "fake" ? await StartFakeAsync() : await StartS3rverAsync();
        var source = Path.Combine(_dir, "src.parquet");
        await PipelineFixtures.WriteUsersParquetAsync(source, 300);
        var location = new IndexLocation(Path.Combine(_dir, "idx"), Warehouse: $"s3://{Bucket}/warehouse");
        await using (var store = await IndexStoreFactory.OpenAsync(location, CancellationToken.None))
        {
            var result = await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
            Assert.Equal(300, result.RowsImported);
        }

        var keys = await ListKeysAsync(s3);
        Assert.Contains(keys, k => k.StartsWith($"s3://{Bucket}/warehouse/qindex/files/data/", StringComparison.Ordinal) && k.EndsWith(".parquet", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith($"s3://{Bucket}/warehouse/qindex/files/metadata/", StringComparison.Ordinal) && k.EndsWith(".metadata.json", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.Contains("/metadata/snap-", StringComparison.Ordinal));
        Assert.Contains($"s3://{Bucket}/warehouse/qindex/files/metadata/version-hint.text", keys);
        Assert.False(Directory.Exists(Path.Combine(_dir, "idx", "warehouse")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "idx", "staging")));

        await using var reopened = await IndexStoreFactory.OpenAsync(location, CancellationToken.None);
        var status = await reopened.GetStatusAsync(CancellationToken.None);
        Assert.Equal(300, status.Rows);
        Assert.StartsWith($"s3://{Bucket}/warehouse/", status.TableLocation, StringComparison.Ordinal);
        await using var engine = await QueryEngine.OpenAsync(reopened, CancellationToken.None);
        var rows = await engine.QueryAsync("SELECT count(*) FROM files", CancellationToken.None);
        Assert.Equal(300L, Convert.ToInt64(rows.Rows.Single()[0], System.Globalization.CultureInfo.InvariantCulture));
        foreach (var odd in PipelineFixtures.OddPaths)
        {
            var hit = await engine.QueryAsync($"SELECT path FROM files WHERE path = {QueryEngine.Literal(odd)}", CancellationToken.None);
            Assert.Equal(odd, hit.Rows.Single()[0]);
        }
    }

    /// <summary>
    /// s3rver runs with its authentication on (allowMismatchedSignatures false): a request must be
    /// signed by a known access key. s3rver 3.7 does not recompute SigV4 signatures (its source
    /// says so), so a wrong secret is not caught there; the key is.
    /// </summary>
    [Fact]
    public async Task S3rver_refuses_requests_signed_by_an_unknown_access_key()
    {
        await using var s3 = await S3rverProcess.StartAsync(Bucket);
        UseS3(s3.Endpoint, "NOT-A-KNOWN-KEY", s3.SecretAccessKey);
        using var io = new S3FileIO();
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => io.WriteNewAsync($"s3://{Bucket}/x", new byte[] { 1 }, CancellationToken.None));
        Assert.Equal("InvalidAccessKeyId", e.ErrorCode);
    }

    private static async Task<IAsyncDisposable> StartFakeAsync()
    {
        var fake = await FakeS3Server.StartAsync();
        UseS3(fake.BaseAddress, "test-key-id", "test-secret-not-real");
        return fake;
    }

    private static async Task<IAsyncDisposable> StartS3rverAsync()
    {
        var s3rver = await S3rverProcess.StartAsync(Bucket);
        UseS3(s3rver.Endpoint, s3rver.AccessKeyId, s3rver.SecretAccessKey);
        return s3rver;
    }

    [Theory]
    [InlineData("fake")]
    [InlineData("s3rver")]
    public async Task Change_sets_on_an_s3_warehouse_hide_the_rows_they_replace_and_delete(string server)
    {
        await using IAsyncDisposable s3 = server == "fake" ? await StartFakeAsync() : await StartS3rverAsync();

        // Finding 7 end to end: the view reads local cache copies, deletes name s3:// locations.
        var location = new IndexLocation(Path.Combine(_dir, "idx"), Warehouse: $"s3://{Bucket}/changes");
        var expected = Store.ChangeSetTests.Tree();
        await using var store = await IndexStoreFactory.OpenAsync(location, CancellationToken.None);
        await Store.ChangeSetTests.ReplaceAsync(store, expected);
        await using (var changes = store.BeginChanges())
        {
            changes.Upsert(Store.ChangeSetTests.Row("/a/f01", 1));
            changes.Delete("/c/h01");
            changes.MoveSubtree("/a/b/odd/", "/c/o/");
            await changes.CommitAsync(null, new Dictionary<string, string> { ["at"] = "1" }, CancellationToken.None);
        }

        expected["/a/f01"] = 1;
        expected.Remove("/c/h01");
        foreach (var (path, size) in expected.Where(p => p.Key.StartsWith("/a/b/odd/", StringComparison.Ordinal)).ToList())
        {
            expected.Remove(path);
            expected["/c/o/" + path["/a/b/odd/".Length..]] = size;
        }

        Assert.Contains(await ListKeysAsync(s3), k => k.EndsWith("-deletes.parquet", StringComparison.Ordinal));
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await Store.ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal("1", (await store.GetStatusAsync(CancellationToken.None)).Checkpoint["at"]);
    }
}
