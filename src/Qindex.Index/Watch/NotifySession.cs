using System.Diagnostics;
using System.Threading.Channels;
using Qindex.Qumulo;

namespace Qindex.Index.Watch;

/// <summary>One payload from the stream, stamped with when it arrived.</summary>
internal sealed record StreamPayload(IReadOnlyList<Notification> Events, long ReceivedTimestamp, DateTimeOffset ReceivedAt);

/// <summary>
/// One open notify stream, read into a buffer by a background task so events keep arriving while
/// a batch or a catch-up is applied. The session ends (and says why through
/// <see cref="Reader"/> completing with the reason) when the stream closes, fails, goes silent for longer than the
/// keep-alive timeout, or overflows the buffer; the watcher then reconnects and catches up.
/// </summary>
internal sealed class NotifySession : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<StreamPayload> _buffer = Channel.CreateUnbounded<StreamPayload>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _reader;
    private readonly Timer _watchdog;
    private readonly TimeSpan _keepAliveTimeout;
    private readonly int _capacity;
    private readonly Action<long>? _onBuffered;
    private long _lastByte = Stopwatch.GetTimestamp();
    private long _buffered;
    private volatile string? _stopReason;

    /// <param name="client">The cluster.</param>
    /// <param name="watchedPath">The directory watched, recursively.</param>
    /// <param name="filter">Event types asked for, or null for all.</param>
    /// <param name="keepAliveTimeout">Silence after which the stream is taken for dead.</param>
    /// <param name="capacity">Events that may wait to be taken before the session ends as overflowed.</param>
    /// <param name="onBuffered">
    /// Told every change of the number of events waiting: plus a payload's events as they arrive,
    /// minus them as they are taken, and minus whatever still waits when the session is disposed
    /// (dropped with the stream), so a gauge it feeds returns to zero.
    /// </param>
    /// <param name="cancellationToken">Ends the session.</param>
    public NotifySession(QumuloClient client, string watchedPath, IReadOnlyCollection<string>? filter, TimeSpan keepAliveTimeout, int capacity, Action<long>? onBuffered, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _keepAliveTimeout = keepAliveTimeout;
        _capacity = capacity;
        _onBuffered = onBuffered;
        _watchdog = new Timer(_ => CheckAlive(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _reader = Task.Run(() => ReadAsync(client, watchedPath, filter, _stop.Token), CancellationToken.None);
    }

    /// <summary>Completes when the cluster has registered the watch (its first comment); faults if the stream failed first.</summary>
    public Task Registered => _registered.Task;

    /// <summary>The buffered payloads; completes (with the reason as its error) when the session ends.</summary>
    public ChannelReader<StreamPayload> Reader => _buffer.Reader;

    /// <summary>Events buffered and not yet taken.</summary>
    public long Buffered => Interlocked.Read(ref _buffered);

    /// <summary>Marks <paramref name="count"/> buffered events as taken.</summary>
    public void Taken(int count)
    {
        Interlocked.Add(ref _buffered, -count);
        _onBuffered?.Invoke(-count);
    }

    private async Task ReadAsync(QumuloClient client, string watchedPath, IReadOnlyCollection<string>? filter, CancellationToken token)
    {
        Exception? ending = null;
        try
        {
            await foreach (var payload in client.NotifyAsync(watchedPath, recursive: true, filter, _ => Touch(), token).ConfigureAwait(false))
            {
                Touch();
                _onBuffered?.Invoke(payload.Count);
                if (Interlocked.Add(ref _buffered, payload.Count) > _capacity)
                {
                    _stopReason = $"more than {_capacity:N0} events waited to be applied";
                    ending = new WatchStreamEndedException($"the event buffer overflowed ({_stopReason}); catching up from a snapshot instead");
                    break;
                }

                await _buffer.Writer.WriteAsync(new StreamPayload(payload, Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow), token).ConfigureAwait(false);
            }

            ending ??= new WatchStreamEndedException("the cluster closed the notify stream");
        }
        catch (OperationCanceledException) when (_stopReason is not null)
        {
            ending = new WatchStreamEndedException(_stopReason);
        }
        catch (Exception e)
        {
            ending = e;
        }

        _registered.TrySetException(ending);
        _buffer.Writer.TryComplete(ending);
    }

    private void Touch()
    {
        Interlocked.Exchange(ref _lastByte, Stopwatch.GetTimestamp());
        _registered.TrySetResult();
    }

    private void CheckAlive()
    {
        if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastByte)) > _keepAliveTimeout && _stopReason is null)
        {
            _stopReason = $"nothing (not even a keep-alive) arrived for {_keepAliveTimeout.TotalSeconds:F0} s";
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already shut down.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _watchdog.DisposeAsync().ConfigureAwait(false);
        _stopReason ??= "the watcher closed the stream";
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException)
        {
            // Expected on shutdown.
        }

        // Whatever still waits goes with the stream (a catch-up covers it).
        if (Interlocked.Exchange(ref _buffered, 0) is var dropped and not 0)
        {
            _onBuffered?.Invoke(-dropped);
        }

        _stop.Dispose();
    }
}

/// <summary>The notify stream ended (closed, silent, overflowed); a reconnect and a catch-up follow.</summary>
public sealed class WatchStreamEndedException : Exception
{
    public WatchStreamEndedException()
    {
    }

    public WatchStreamEndedException(string message)
        : base(message)
    {
    }

    public WatchStreamEndedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The watcher cannot go on (no privilege, recursive watches disabled, the watched root removed, ...).</summary>
public sealed class WatchStoppedException : Exception
{
    public WatchStoppedException()
    {
    }

    public WatchStoppedException(string message)
        : base(message)
    {
    }

    public WatchStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
