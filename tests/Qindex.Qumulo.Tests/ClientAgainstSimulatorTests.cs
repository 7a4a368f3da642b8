using System.Net;
using System.Security.Authentication;
using Qindex.Simulator;

namespace Qindex.Qumulo.Tests;

public sealed class ClientAgainstSimulatorTests : IAsyncLifetime
{
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 200, Seed = 7 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_pinned_client_logs_in_and_reads_who_am_i()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server));
        var me = await client.WhoAmIAsync(CancellationToken.None);
        Assert.Equal("admin", me.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_ca_file_trusts_the_self_signed_certificate()
    {
        var pem = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(pem, _server.CertificatePem);
            using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { PinSha256 = null, CaCertificateFile = pem });
            var root = await client.GetAttributesAsync("/", null, CancellationToken.None);
            Assert.Equal("/", root.GetProperty("path").GetString());
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public async Task Without_trust_the_connection_fails_with_a_tls_error()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { PinSha256 = null, MaxAttempts = 1 });
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.WhoAmIAsync(CancellationToken.None));
        Assert.IsType<AuthenticationException>(e.InnerException);
    }

    [Fact]
    public async Task A_wrong_pin_is_refused()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { PinSha256 = new string('0', 64), MaxAttempts = 1 });
        await Assert.ThrowsAsync<HttpRequestException>(() => client.WhoAmIAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Paging_lists_every_entry_of_a_large_directory_once()
    {
        _server.Cluster.CreateDirectory("/", "big");
        for (var i = 0; i < 2500; i++)
        {
            _server.Cluster.CreateFile("/big/", $"f{i:D5}");
        }

        using var client = new QumuloClient(SimulatorHelpers.Connection(_server));
        var names = new List<string>();
        await foreach (var entry in client.ListEntriesAsync("/big/", null, 1000, CancellationToken.None))
        {
            names.Add(entry.GetProperty("name").GetString()!);
        }

        Assert.Equal(2500, names.Count);
        Assert.Equal(2500, names.Distinct().Count());
    }

    [Fact]
    public async Task An_odd_path_is_read_by_its_url_encoded_reference()
    {
        const string odd = "q'\"%41 #?\nline caf\u00e9";
        _server.Cluster.CreateFile("/", odd);
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server));
        var attributes = await client.GetAttributesAsync("/" + odd, null, CancellationToken.None);
        Assert.Equal("/" + odd, attributes.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Trying_to_read_a_missing_entry_gives_null_and_other_refusals_still_throw()
    {
        const string odd = "try 100% caf\u00e9 \"q\"";
        _server.Cluster.CreateFile("/", odd);
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server));
        var found = await client.TryGetAttributesAsync("/" + odd, null, CancellationToken.None);
        Assert.Equal("/" + odd, found!.Value.GetProperty("path").GetString());
        Assert.Null(await client.TryGetAttributesAsync("/" + odd + " gone", null, CancellationToken.None));
        Assert.Null(await client.TryGetAttributesAsync("987654321", null, CancellationToken.None));

        using var once = new QumuloClient(SimulatorHelpers.Connection(_server) with { MaxAttempts = 1 });
        await SimulatorHelpers.FaultAsync(_server, "errors", new { status = 503, fraction = 1.0, seconds = 30 });
        var failed = await Assert.ThrowsAsync<QumuloApiException>(() => once.TryGetAttributesAsync("/" + odd, null, CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, failed.Status);
    }

    [Fact]
    public async Task Expired_tokens_are_replaced_by_logging_in_again()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server));
        await client.WhoAmIAsync(CancellationToken.None);
        await SimulatorHelpers.FaultAsync(_server, "expire-tokens");
        var me = await client.WhoAmIAsync(CancellationToken.None);
        Assert.Equal("admin", me.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Service_unavailable_answers_are_retried_until_the_call_succeeds()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { MaxAttempts = 30 });
        await client.WhoAmIAsync(CancellationToken.None);
        await SimulatorHelpers.FaultAsync(_server, "errors", new { status = 503, fraction = 0.5, seconds = 30 });
        try
        {
            // One entry a page: enough requests that at least one 503 is all but certain (half of them fail).
            var count = 0;
            await foreach (var _ in client.ListEntriesAsync("/", null, 1, CancellationToken.None))
            {
                count++;
            }

            Assert.True(count >= 10, $"only {count} root entries: too few requests to be sure of a 503");
            Assert.True(client.RetryCount > 0, "half the calls answered 503, so some must have been retried");
        }
        finally
        {
            await SimulatorHelpers.FaultAsync(_server, "clear");
        }
    }

    [Fact]
    public async Task A_user_without_the_privilege_gets_a_403_for_a_recursive_watch()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server, "reader", "reader"));
        var e = await Assert.ThrowsAsync<QumuloApiException>(async () =>
        {
            await foreach (var _ in client.NotifyAsync("/", recursive: true, null, null, CancellationToken.None))
            {
            }
        });
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
    }

    [Fact]
    public async Task The_notify_stream_delivers_a_created_file_with_its_absolute_path()
    {
        _server.Cluster.CreateDirectory("/", "watched");
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var registered = new TaskCompletionSource();
        var received = new List<Notification>();
        var reading = Task.Run(async () =>
        {
            await foreach (var batch in client.NotifyAsync("/", recursive: true, null, _ => registered.TrySetResult(), timeout.Token))
            {
                received.AddRange(batch);
                if (received.Any(n => n.Type == "child_file_added"))
                {
                    return;
                }
            }
        });
        await registered.Task.WaitAsync(timeout.Token);
        _server.Cluster.CreateFile("/watched/", "new file.txt");
        await reading.WaitAsync(timeout.Token);
        var added = received.First(n => n.Type == "child_file_added");
        Assert.Equal("/watched/new file.txt", added.Path);
    }

    [Fact]
    public async Task Changes_since_reports_a_file_created_between_two_snapshots()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server));
        var older = await client.CreateSnapshotAsync("2", "older", CancellationToken.None);
        _server.Cluster.CreateFile("/", "made-between");
        var newer = await client.CreateSnapshotAsync("2", "newer", CancellationToken.None);
        var changes = new List<SnapshotChange>();
        await foreach (var change in client.ChangesSinceAsync(newer.Id, older.Id, 100, CancellationToken.None))
        {
            changes.Add(change);
        }

        Assert.Contains(new SnapshotChange("CREATE", "/made-between"), changes);
        Assert.Contains(changes, c => c is { Op: "MODIFY", Path: "/" });
        var snapshots = await client.ListSnapshotsAsync(CancellationToken.None);
        Assert.Contains(snapshots, s => s.Id == newer.Id);
        await client.DeleteSnapshotAsync(older.Id, CancellationToken.None);
        Assert.DoesNotContain(await client.ListSnapshotsAsync(CancellationToken.None), s => s.Id == older.Id);
    }
}
