using Polly;
using Polly.Retry;

namespace Qindex.Qumulo.Retry;

/// <summary>
/// Reopening the notify stream, with the client's backoff (<see cref="Backoff"/>): a stream that
/// could not be opened, dropped before it was registered, or went silent is opened again after
/// a jittered, growing delay, for as long as <see cref="QumuloConnection.ReconnectBudget"/> allows
/// (forever by default: a watcher outlives cluster restarts). A refusal that retrying cannot
/// fix (401 after a fresh login, 403, a disabled recursive notify, a missing directory) stops it.
/// </summary>
internal sealed class ReconnectPolicy
{
    private readonly ResiliencePipeline _pipeline;

    public ReconnectPolicy(QumuloConnection settings, Action<Exception> onReconnectAttempt)
    {
        var budget = settings.ReconnectBudget;
        _pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = Backoff.Type,
                UseJitter = Backoff.Jitter,
                Delay = settings.InitialBackoff,
                MaxDelay = settings.MaxBackoff,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && IsTransient(e) && (budget is null || args.Context.Properties.GetValue(StartedKey, DateTimeOffset.UtcNow) + budget > DateTimeOffset.UtcNow)),
                OnRetry = args =>
                {
                    onReconnectAttempt(args.Outcome.Exception!);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    private static readonly ResiliencePropertyKey<DateTimeOffset> StartedKey = new("qindex.reconnect-started");

    /// <summary>Runs <paramref name="open"/> until it gives a registered stream, retrying transient failures.</summary>
    public async Task<T> OpenAsync<T>(Func<CancellationToken, Task<T>> open, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StartedKey, DateTimeOffset.UtcNow);
        try
        {
            return await _pipeline.ExecuteAsync(static async (ctx, state) => await state(ctx.CancellationToken).ConfigureAwait(false), context, open).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Failures a new connection may cure: drops, silence, a stream that ended early, refusals that outlasted a request's budget.</summary>
    public static bool IsTransient(Exception e) =>
        RequestRetryPolicy.IsDroppedConnection(e)
        || e is TimeoutException or NotifyStreamEndedException
        || (e is QumuloApiException api && RequestRetryPolicy.IsRefusal(api.Status));
}
