using System.Diagnostics;
using Qindex.Simulator;

namespace Qindex.Qumulo.Tests.Retry;

/// <summary>429 and 503 over a real socket: every call retries them, within a time budget.</summary>
public sealed class RefusalRetryTests : IAsyncLifetime
{
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 50, Seed = 3 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Snapshot_creation_is_retried_after_429_and_waits_out_Retry_After()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { RetryBudget = TimeSpan.FromSeconds(20) });
        await client.WhoAmIAsync(CancellationToken.None);
        await SimulatorHelpers.FaultAsync(_server, "errors", new { status = 429, fraction = 1.0, seconds = 1.5 });
        var clock = Stopwatch.StartNew();

        var snapshot = await client.CreateSnapshotAsync("2", "qindex-test", CancellationToken.None);

        Assert.Equal("qindex-test", snapshot.Name);

        // Retry-After: 1 is waited out each time; the 20 ms backoff alone would have made dozens of attempts.
        Assert.InRange(client.RetryCount, 1, 4);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(client.RetryCount), $"{client.RetryCount} retries in {clock.Elapsed}");
    }

    [Fact]
    public async Task A_call_refused_past_its_budget_fails_saying_how_many_attempts_over_how_long()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { RetryBudget = TimeSpan.FromMilliseconds(500) });
        await client.WhoAmIAsync(CancellationToken.None);
        await SimulatorHelpers.FaultAsync(_server, "errors", new { status = 503, fraction = 1.0, seconds = 30 });
        try
        {
            var clock = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<QumuloApiException>(() => client.GetAttributesAsync("/", null, CancellationToken.None));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed} with a 0.5 s budget");
            Assert.Contains("GET /v1/files/%2F/info/attributes", e.Message, StringComparison.Ordinal);
            Assert.Contains("HTTP 503", e.Message, StringComparison.Ordinal);
            // One attempt (singular) when the first already outlasts the budget on a slow machine.
            Assert.Matches(@"gave up after \d+ attempts? over \d+\.\d s", e.Message);
        }
        finally
        {
            await SimulatorHelpers.FaultAsync(_server, "clear");
        }
    }

    [Fact]
    public async Task A_rate_limit_is_waited_out_and_every_call_gets_through()
    {
        using var client = new QumuloClient(SimulatorHelpers.Connection(_server) with { RetryBudget = TimeSpan.FromSeconds(30) });
        await client.WhoAmIAsync(CancellationToken.None);
        await SimulatorHelpers.FaultAsync(_server, "rate-limit", new { rps = 20, seconds = 30 });
        try
        {
            var clock = Stopwatch.StartNew();
            var calls = Enumerable.Range(0, 50).Select(_ => client.GetAttributesAsync("/", null, CancellationToken.None)).ToList();
            await Task.WhenAll(calls);

            // A bucket of 20 a second with a burst of 20: 50 calls need at least 1.5 s.
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.4), $"50 calls at 20/s took only {clock.Elapsed}");
            Assert.True(client.RetryCount > 0, "the bucket must have refused some calls");
        }
        finally
        {
            await SimulatorHelpers.FaultAsync(_server, "clear");
        }
    }
}
