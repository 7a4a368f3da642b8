using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Qindex.Qumulo.Retry;

namespace Qindex.Qumulo;

/// <content>
/// Following the notify stream for as long as the caller wants: reconnects with the client's
/// backoff and jitter (<see cref="ReconnectPolicy"/>), treats a stream silent for longer than the
/// idle timeout as dead, logs in again on 401 (the request path does), and stops on what a new
/// connection cannot cure (403, a disabled recursive notify, a removed directory).
/// </content>
public sealed partial class QumuloClient
{
    private long _reconnectAttempts;

    /// <summary>Connections opened again after a failure to open or register (for metrics and tests).</summary>
    public long ReconnectAttempts => Interlocked.Read(ref _reconnectAttempts);

    /// <summary>
    /// Follows the notify stream of <paramref name="watchedPath"/> until cancelled, reconnecting
    /// whenever it ends, drops, or stays silent longer than <paramref name="idleTimeout"/> (a few
    /// keep-alive intervals; the cluster sends keep-alive comments while idle). Each connection
    /// is announced by <see cref="NotifyConnected"/>, each loss by <see cref="NotifyDisconnected"/>.
    /// </summary>
    public async IAsyncEnumerable<NotifyStreamEvent> FollowNotifyAsync(
        string watchedPath,
        bool recursive,
        IReadOnlyCollection<string>? filter,
        TimeSpan idleTimeout,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idleTimeout, TimeSpan.Zero);
        var url = NotifyUrl(watchedPath, recursive, filter);
        var reconnect = new ReconnectPolicy(_connection, _ => Interlocked.Increment(ref _reconnectAttempts));
        for (var connection = 0; ; connection++)
        {
            var stream = await reconnect.OpenAsync(token => OpenNotifyStreamAsync(url, idleTimeout, token), cancellationToken).ConfigureAwait(false);
            string reason;
            await using (stream)
            {
                yield return new NotifyConnected(connection);
                while (true)
                {
                    var (message, failure) = await stream.NextAsync(cancellationToken).ConfigureAwait(false);
                    if (message is null)
                    {
                        reason = failure ?? "the cluster ended the stream";
                        break;
                    }

                    if (message.DataUtf8 is { } data)
                    {
                        yield return new NotifyBatch(Notification.ParsePayload(data, watchedPath));
                    }
                }
            }

            yield return new NotifyDisconnected(reason);

            // A stream that keeps dropping as soon as it is registered is not reopened in a tight loop.
            await Task.Delay(_connection.InitialBackoff, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string NotifyUrl(string watchedPath, bool recursive, IReadOnlyCollection<string>? filter)
    {
        var url = $"v1/files/{FileRefs.Encode(watchedPath)}/notify?recursive={(recursive ? "true" : "false")}";
        if (filter is { Count: > 0 })
        {
            url += "&filter=" + Uri.EscapeDataString(string.Join(',', filter));
        }

        return url;
    }

    /// <summary>Opens the stream and waits for its first message (the registration comment): only then is the watch in place.</summary>
    private async Task<OpenNotifyStream> OpenNotifyStreamAsync(string url, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Accept = { new MediaTypeWithQualityHeaderValue("text/event-stream") } } },
            authenticated: true,
            RetryOn.RefusalsAndDroppedConnections,
            cancellationToken,
            HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        var open = new OpenNotifyStream(response, idleTimeout, _connection.MaxNotifyMessageBytes);
        try
        {
            await open.StartAsync(cancellationToken).ConfigureAwait(false);
            var (first, failure) = await open.NextAsync(cancellationToken).ConfigureAwait(false);
            if (first is null)
            {
                throw failure is null ? new NotifyStreamEndedException() : new NotifyStreamEndedException($"the notify stream failed before the watch was registered: {failure}");
            }

            return open;
        }
        catch
        {
            await open.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One open notify connection: its messages, each awaited no longer than the idle timeout.</summary>
    private sealed class OpenNotifyStream(HttpResponseMessage response, TimeSpan idleTimeout, int maxMessageBytes) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _idle = new();
        private Stream? _stream;
        private IAsyncEnumerator<SseMessage>? _messages;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            _stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            _messages = ServerSentEvents.ReadAsync(_stream, maxMessageBytes, _idle.Token).GetAsyncEnumerator(_idle.Token);
        }

        /// <summary>The next message, or null with the reason the stream is over (null reason: it ended cleanly).</summary>
        public async Task<(SseMessage? Message, string? Failure)> NextAsync(CancellationToken cancellationToken)
        {
            _idle.CancelAfter(idleTimeout);
            await using var stop = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _idle);
            try
            {
                return await _messages!.MoveNextAsync().ConfigureAwait(false) ? (_messages.Current, null) : (null, null);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (null, $"nothing received for {idleTimeout.TotalSeconds:F1} s (not even a keep-alive)");
            }
            catch (Exception e) when (RequestRetryPolicy.IsDroppedConnection(e))
            {
                return (null, "the connection dropped: " + e.Message);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _idle.Cancel();
            if (_messages is not null)
            {
                try
                {
                    await _messages.DisposeAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The reader was stopped mid-read on purpose.
                }
            }

            if (_stream is not null)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }

            response.Dispose();
            _idle.Dispose();
        }
    }
}
