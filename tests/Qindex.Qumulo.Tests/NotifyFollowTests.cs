using System.Net;
using Qindex.Simulator;

namespace Qindex.Qumulo.Tests;

/// <summary>Following the notify stream across drops, silences and expired tokens; stopping on what reconnecting cannot cure.</summary>
public sealed class NotifyFollowTests : IAsyncLifetime
{
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 50, Seed = 3, KeepAliveSeconds = 0.2 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Reads events until <paramref name="until"/> holds for one, failing after 20 s.</summary>
    private static async Task<NotifyStreamEvent> NextMatchingAsync(IAsyncEnumerator<NotifyStreamEvent> events, Func<NotifyStreamEvent, bool> until)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var next = events.MoveNextAsync().AsTask();
            if (await Task.WhenAny(next, Task.Delay(Timeout.Infinite, timeout.Token).ContinueWith(static _ => { }, TaskScheduler.Default)) != next)
            {
                throw new TimeoutException("no matching notify event within 20 s");
            }

            Assert.True(await next, "the follow ended");
            if (until(events.Current))
            {
                return events.Current;
            }
        }
    }

    [Fact]
    public async Task The_stream_is_reopened_after_a_drop_a_silence_and_an_expired_token_and_each_connection_is_announced()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server));
        using var stop = new CancellationTokenSource();
        // Keep-alives come every 0.2 s; silence is given up after 3 s, well beyond a loaded
        // machine's pauses (at 1 s a pause could drop the stream and shift the connection counts).
        await using var events = client.FollowNotifyAsync("/", recursive: true, null, TimeSpan.FromSeconds(3), stop.Token).GetAsyncEnumerator(stop.Token);

        Assert.Equal(new NotifyConnected(0), await NextMatchingAsync(events, e => e is NotifyConnected));
        _server.Cluster.CreateFile("/", "one");
        var batch = (NotifyBatch)await NextMatchingAsync(events, e => e is NotifyBatch);
        Assert.Contains(batch.Notifications, n => n.Path == "/one");

        // Dropped by the server, with the token expired meanwhile: reopened after a fresh login.
        await SimulatorHelpers.FaultAsync(_server, "expire-tokens");
        await SimulatorHelpers.FaultAsync(_server, "drop-streams");
        Assert.IsType<NotifyDisconnected>(await NextMatchingAsync(events, e => e is not NotifyBatch));
        Assert.Equal(new NotifyConnected(1), await NextMatchingAsync(events, e => e is NotifyConnected));
        _server.Cluster.CreateFile("/", "two");
        batch = (NotifyBatch)await NextMatchingAsync(events, e => e is NotifyBatch);
        Assert.Contains(batch.Notifications, n => n.Path == "/two");

        // Silent (not even keep-alives) for longer than the idle timeout: given up and reopened.
        await SimulatorHelpers.FaultAsync(_server, "stall-streams", new { seconds = 6 });
        var lost = (NotifyDisconnected)await NextMatchingAsync(events, e => e is NotifyDisconnected);
        Assert.Contains("nothing received", lost.Reason, StringComparison.Ordinal);
        Assert.Equal(new NotifyConnected(2), await NextMatchingAsync(events, e => e is NotifyConnected));
        await stop.CancelAsync();
    }

    [Fact]
    public async Task A_stream_refused_by_503_is_reopened_with_backoff_until_it_opens()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { RetryBudget = TimeSpan.FromMilliseconds(100) });
        await client.WhoAmIAsync(CancellationToken.None);
        await SimulatorHelpers.FaultAsync(_server, "errors", new { status = 503, fraction = 1.0, seconds = 1.5 });
        using var stop = new CancellationTokenSource();
        await using var events = client.FollowNotifyAsync("/", recursive: true, null, TimeSpan.FromSeconds(1), stop.Token).GetAsyncEnumerator(stop.Token);

        Assert.Equal(new NotifyConnected(0), await NextMatchingAsync(events, e => e is NotifyConnected));
        Assert.True(client.ReconnectAttempts > 0, "each open outlived its request budget, so the stream policy must have retried");
        await stop.CancelAsync();
    }

    [Fact]
    public async Task A_recursive_follow_by_a_user_without_the_privilege_stops_with_403_instead_of_retrying()
    {
        using var reader = new QumuloClient(SimulatorHelpers.Connection(_server, "reader", "reader"));
        var e = await Assert.ThrowsAsync<QumuloApiException>(async () =>
        {
            await foreach (var _ in reader.FollowNotifyAsync("/", recursive: true, null, TimeSpan.FromSeconds(1), CancellationToken.None))
            {
            }
        });
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.Equal(0, reader.ReconnectAttempts);
    }

    [Fact]
    public async Task A_recursive_follow_on_a_cluster_that_disables_it_stops_saying_so()
    {
        using var admin = new QumuloClient(SimulatorHelpers.Connection(_server));
        await admin.SetNotifyRecursiveModeAsync("DISABLED_ERROR", CancellationToken.None);
        try
        {
            var e = await Assert.ThrowsAsync<QumuloApiException>(async () =>
            {
                await foreach (var _ in admin.FollowNotifyAsync("/", recursive: true, null, TimeSpan.FromSeconds(1), CancellationToken.None))
                {
                }
            });
            Assert.Contains("DISABLED_ERROR", e.Message, StringComparison.Ordinal);
            Assert.Equal(0, admin.ReconnectAttempts);
        }
        finally
        {
            await admin.SetNotifyRecursiveModeAsync("ENABLED", CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_refused_token_without_a_password_at_hand_says_so()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { User = null, Password = null, BearerToken = "session-v1:not-a-real-token" });
        var e = await Assert.ThrowsAsync<QumuloApiException>(() => client.WhoAmIAsync(CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
        Assert.Contains("no password is at hand", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-token", e.Message, StringComparison.Ordinal);
    }
}
