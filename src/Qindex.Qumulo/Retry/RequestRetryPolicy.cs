using System.Net;
using System.Security.Authentication;
using Polly;
using Polly.Retry;

namespace Qindex.Qumulo.Retry;

/// <summary>
/// The client's one retry policy (Polly), shared by every call and by the notify stream's
/// reconnects: 429 and 503 always, dropped connections where <see cref="RetryOn"/> allows;
/// exponential backoff with jitter from <see cref="QumuloConnection.InitialBackoff"/> up to
/// <see cref="QumuloConnection.MaxBackoff"/>; a Retry-After header is waited out (spread by up to a
/// quarter so refused workers do not come back together). The budget is time: no retry starts
/// once <see cref="QumuloConnection.RetryBudget"/> has passed since the first attempt
/// (docs/decisions/0005-retry-policy.md gives the numbers and why).
/// </summary>
internal sealed class RequestRetryPolicy
{
    private static readonly ResiliencePropertyKey<RequestAttempts> AttemptsKey = new("qindex.request-attempts");
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public RequestRetryPolicy(QumuloConnection settings, Action onRetry)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var budget = settings.RetryBudget;
        var maxAttempts = settings.MaxAttempts ?? int.MaxValue;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = Backoff.Type,
                UseJitter = Backoff.Jitter,
                Delay = settings.InitialBackoff,
                MaxDelay = settings.MaxBackoff,
                ShouldHandle = args =>
                {
                    var attempts = args.Context.Properties.GetValue(AttemptsKey, null!);
                    var retryable = args.Outcome.Exception is { } e
                        ? attempts.RetryOn == RetryOn.RefusalsAndDroppedConnections && IsDroppedConnection(e)
                        : args.Outcome.Result is { } response && IsRefusal(response.StatusCode);
                    // A Retry-After that reaches past the budget is not waited for: better to say now.
                    var wait = RetryAfter(args.Outcome.Result) ?? TimeSpan.Zero;
                    return ValueTask.FromResult(retryable && attempts.Count < maxAttempts && attempts.Elapsed + wait < budget);
                },
                DelayGenerator = args =>
                {
                    // Null: Polly's exponential backoff with jitter.
                    var wait = RetryAfter(args.Outcome.Result);
                    return ValueTask.FromResult(wait is { } w ? w * (1 + (Random.Shared.NextDouble() / 4)) : (TimeSpan?)null);
                },
                OnRetry = args =>
                {
                    // The refused answer is not handed to anyone; free its connection now.
                    args.Outcome.Result?.Dispose();
                    onRetry();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>
    /// Sends with <paramref name="send"/> until it succeeds, fails for good, or the budget is spent,
    /// counting into <paramref name="attempts"/>. Returns the last answer, or throws the last
    /// exception; the caller turns either into an error, with <see cref="RequestAttempts.Describe"/>.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(
        Func<CancellationToken, Task<HttpResponseMessage>> send, RequestAttempts attempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(AttemptsKey, attempts);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (ctx, state) =>
                {
                    state.Attempts.Count++;
                    return await state.Send(ctx.CancellationToken).ConfigureAwait(false);
                },
                context,
                (Send: send, Attempts: attempts)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>How long the answer asks to wait before the next attempt (Retry-After as seconds or a date), or null.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        if (response?.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        var wait = header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
        return wait > TimeSpan.Zero ? wait : null;
    }

    /// <summary>429 (rate limited) and 503 (busy or failing over): the cluster did not act on the request.</summary>
    public static bool IsRefusal(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;

    /// <summary>A connection reset or refused, or an answer cut short; never a TLS failure, which retrying cannot fix.</summary>
    public static bool IsDroppedConnection(Exception e) =>
        e is HttpRequestException { InnerException: not AuthenticationException } or IOException;
}
