using System.Diagnostics;
using System.Net;
using Qindex.Qumulo.Retry;

namespace Qindex.Qumulo.Tests.Retry;

/// <summary>The policy on its own, fed failures by a delegate (nothing crosses HTTP here).</summary>
public sealed class RequestRetryPolicyTests
{
    private static readonly QumuloConnection Fast = new()
    {
        Host = "unused",
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
        RetryBudget = TimeSpan.FromMilliseconds(400),
    };

    [Fact]
    public async Task A_dropped_connection_is_retried_for_a_read_but_never_for_a_create()
    {
        // A budget far above what two retries take: the test is about which requests are retried,
        // and a cold start on a loaded machine once spent the 400 ms budget before the third try.
        var retries = 0;
        var policy = new RequestRetryPolicy(Fast with { RetryBudget = TimeSpan.FromSeconds(60) }, () => retries++);
        var calls = 0;
        Task<HttpResponseMessage> DropTwice(CancellationToken _) =>
            ++calls <= 2 ? throw new HttpRequestException("connection reset") : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

        using (var ok = await policy.SendAsync(DropTwice, new RequestAttempts(RetryOn.RefusalsAndDroppedConnections), CancellationToken.None))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.Equal(3, calls);
        Assert.Equal(2, retries);

        calls = 0;
        var attempts = new RequestAttempts(RetryOn.Refusals);
        await Assert.ThrowsAsync<HttpRequestException>(() => policy.SendAsync(DropTwice, attempts, CancellationToken.None));
        Assert.Equal(1, calls);
        Assert.Equal(1, attempts.Count);
    }

    [Fact]
    public async Task Refusals_are_retried_for_a_create_until_the_time_budget_is_spent()
    {
        var policy = new RequestRetryPolicy(Fast, () => { });
        var attempts = new RequestAttempts(RetryOn.Refusals);
        var clock = Stopwatch.StartNew();
        using var last = await policy.SendAsync(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)), attempts, CancellationToken.None);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, last.StatusCode);
        Assert.True(attempts.Count >= 2, $"only {attempts.Count} attempt in the budget");
        Assert.True(clock.Elapsed >= Fast.RetryBudget, "gave up before the budget was spent");
        Assert.Matches(@"^gave up after \d+ attempts over \d+\.\d s$", attempts.Describe());
    }

    [Fact]
    public async Task Other_errors_are_not_retried()
    {
        var policy = new RequestRetryPolicy(Fast, () => { });
        var attempts = new RequestAttempts(RetryOn.RefusalsAndDroppedConnections);
        using var last = await policy.SendAsync(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound)), attempts, CancellationToken.None);
        Assert.Equal(1, attempts.Count);
    }

    [Fact]
    public async Task A_Retry_After_that_reaches_past_the_budget_ends_the_retries_at_once()
    {
        var policy = new RequestRetryPolicy(Fast with { RetryBudget = TimeSpan.FromSeconds(30) }, () => { });
        var attempts = new RequestAttempts(RetryOn.RefusalsAndDroppedConnections);
        var clock = Stopwatch.StartNew();
        using var last = await policy.SendAsync(
            _ =>
            {
                var refused = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
                refused.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromHours(1));
                return Task.FromResult(refused);
            },
            attempts,
            CancellationToken.None);

        Assert.Equal(HttpStatusCode.TooManyRequests, last.StatusCode);
        Assert.Equal(1, attempts.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "waited for a Retry-After beyond the budget");
    }
}
