using System.Net;
using Qindex.Simulator;

namespace Qindex.Qumulo.Tests;

/// <summary>The simulator's reader user is refused every write, and the client says what privilege is missing.</summary>
public sealed class PrivilegeTests : IAsyncLifetime
{
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 50, Seed = 3 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_reader_user_is_refused_every_write_with_403_and_the_cluster_stays_unchanged()
    {
        using var admin = new QumuloClient(SimulatorHelpers.Connection(_server));
        await admin.CreateFileAsync("/", "existing", CancellationToken.None);
        var snapshot = await admin.CreateSnapshotAsync("2", "kept", CancellationToken.None);
        var before = _server.Cluster.EnumerateEntries("/", null).Select(e => e.Path).Order(StringComparer.Ordinal).ToList();

        using var reader = new QumuloClient(SimulatorHelpers.Connection(_server, "reader", "reader"));
        var writes = new (string What, Func<Task> Call, string Privilege)[]
        {
            ("create", () => reader.CreateFileAsync("/", "new", CancellationToken.None), "PRIVILEGE_FILE_FULL_ACCESS"),
            ("mkdir", () => reader.CreateDirectoryAsync("/", "newdir", CancellationToken.None), "PRIVILEGE_FILE_FULL_ACCESS"),
            ("rename", () => reader.RenameAsync("/", "renamed", "/existing", false, CancellationToken.None), "PRIVILEGE_FILE_FULL_ACCESS"),
            ("patch", () => reader.PatchAttributesAsync("/existing", new AttributeChanges { Mode = "0600" }, CancellationToken.None), "PRIVILEGE_FILE_FULL_ACCESS"),
            ("put data", () => reader.ReplaceDataAsync("/existing", new byte[] { 1, 2, 3 }, CancellationToken.None), "PRIVILEGE_FILE_FULL_ACCESS"),
            ("patch data", () => reader.WriteDataAsync("/existing", 0, new byte[] { 1 }, CancellationToken.None), "PRIVILEGE_FILE_FULL_ACCESS"),
            ("delete", () => reader.DeleteAsync("/existing", CancellationToken.None), "PRIVILEGE_FILE_FULL_ACCESS"),
            ("create stream", () => reader.CreateStreamAsync("/existing", "s", CancellationToken.None), "PRIVILEGE_FILE_FULL_ACCESS"),
            ("snapshot", () => reader.CreateSnapshotAsync("2", "mine", CancellationToken.None), "PRIVILEGE_SNAPSHOT_WRITE"),
            ("delete snapshot", () => reader.DeleteSnapshotAsync(snapshot.Id, CancellationToken.None), "PRIVILEGE_SNAPSHOT_WRITE"),
        };
        foreach (var (what, call, privilege) in writes)
        {
            var e = await Assert.ThrowsAsync<QumuloApiException>(call);
            Assert.True(e.Status == HttpStatusCode.Forbidden, $"{what}: HTTP {(int)e.Status}");
            Assert.NotNull(e.ErrorClass);
            Assert.Contains("user 'reader' lacks the privilege", e.Message, StringComparison.Ordinal);
            Assert.Contains(privilege, e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, _server.Cluster.EnumerateEntries("/", null).Select(e => e.Path).Order(StringComparer.Ordinal).ToList());
        Assert.Contains(_server.Cluster.ListSnapshots(), s => s.Id == snapshot.Id);
        Assert.Single(_server.Cluster.ListSnapshots());

        // Reads stay allowed.
        Assert.Equal("existing", (await reader.GetAttributesAsync("/existing", null, CancellationToken.None)).GetProperty("name").GetString());
        Assert.NotEmpty(await reader.ListSnapshotsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_recursive_watch_by_the_reader_is_refused_naming_the_data_administrator_role()
    {
        using var reader = new QumuloClient(SimulatorHelpers.Connection(_server, "reader", "reader"));
        var e = await Assert.ThrowsAsync<QumuloApiException>(async () =>
        {
            await foreach (var _ in reader.NotifyAsync("/", recursive: true, null, null, CancellationToken.None))
            {
            }
        });
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.Contains("DATA_ADMINISTRATOR", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_watcher_user_may_watch_recursively_but_is_refused_every_snapshot_call()
    {
        using var admin = new QumuloClient(SimulatorHelpers.Connection(_server));
        var snapshot = await admin.CreateSnapshotAsync("2", "kept", CancellationToken.None);
        using var watcher = new QumuloClient(SimulatorHelpers.Connection(_server, "watcher", "watcher"));
        var calls = new (string What, Func<Task> Call, string Privilege)[]
        {
            ("list", () => watcher.ListSnapshotsAsync(CancellationToken.None), "PRIVILEGE_SNAPSHOT_READ"),
            ("create", () => watcher.CreateSnapshotAsync("2", "mine", CancellationToken.None), "PRIVILEGE_SNAPSHOT_WRITE"),
            ("delete", () => watcher.DeleteSnapshotAsync(snapshot.Id, CancellationToken.None), "PRIVILEGE_SNAPSHOT_WRITE"),
            ("difference", async () =>
            {
                await foreach (var _ in watcher.ChangesSinceAsync(snapshot.Id, snapshot.Id, 10, CancellationToken.None))
                {
                }
            }, "PRIVILEGE_SNAPSHOT_DIFFERENCE_READ"),
        };
        foreach (var (what, call, privilege) in calls)
        {
            var e = await Assert.ThrowsAsync<QumuloApiException>(call);
            Assert.True(e.Status == HttpStatusCode.Forbidden, $"{what}: HTTP {(int)e.Status}");
            Assert.Contains(privilege, e.Message, StringComparison.Ordinal);
        }

        Assert.Single(_server.Cluster.ListSnapshots());
        var who = await watcher.WhoAmIAsync(CancellationToken.None);
        Assert.DoesNotContain(who.GetProperty("privileges").EnumerateArray(), p => p.GetString()!.StartsWith("PRIVILEGE_SNAPSHOT_", StringComparison.Ordinal));

        // A recursive watch is allowed: the first message arrives once something changes. The file is
        // made once the watch is registered (made as soon as the stream was asked for, it could come
        // first on a loaded machine, and the watch then waited for a change that never came).
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var registered = new TaskCompletionSource();
        await using var events = watcher.NotifyAsync("/", recursive: true, null, _ => registered.TrySetResult(), stop.Token).GetAsyncEnumerator(stop.Token);
        var next = events.MoveNextAsync();
        await registered.Task.WaitAsync(stop.Token);
        await admin.CreateFileAsync("/", "seen by the watcher", CancellationToken.None);
        Assert.True(await next);
        Assert.Contains(events.Current, n => n.Path == "/seen by the watcher");
    }

    [Fact]
    public async Task A_wrong_password_is_reported_as_refused_credentials()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server, "admin", "not-the-password"));
        var e = await Assert.ThrowsAsync<QumuloApiException>(() => client.WhoAmIAsync(CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
        Assert.Contains("the cluster refused the credentials of user 'admin'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("no password", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", e.Message, StringComparison.Ordinal);
    }
}
