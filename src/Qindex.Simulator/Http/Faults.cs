namespace Qindex.Simulator.Http;

/// <summary>
/// Faults injected on demand through the admin API: error answers for a fraction of requests,
/// added latency, stalled or dropped notify streams. One instance per server, never static.
/// </summary>
internal sealed class Faults : IDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _streams = new();
    private (int Status, double Fraction, DateTime Until)? _errors;
    private (int Milliseconds, DateTime Until)? _latency;
    private DateTime _stallUntil = DateTime.MinValue;

    /// <summary>Cancelled when streams are dropped; each stream links to the token current when it opened.</summary>
    public CancellationToken StreamsToken
    {
        get
        {
            lock (_gate)
            {
                return _streams.Token;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _streams.Dispose();
        }
    }

    public void DropStreams()
    {
        CancellationTokenSource old;
        lock (_gate)
        {
            old = _streams;
            _streams = new CancellationTokenSource();
        }

        old.Cancel();
        old.Dispose();
    }

    public void SetErrors(int status, double fraction, double seconds)
    {
        lock (_gate)
        {
            _errors = (status, fraction, DateTime.UtcNow.AddSeconds(seconds));
        }
    }

    public void SetLatency(int milliseconds, double seconds)
    {
        lock (_gate)
        {
            _latency = (milliseconds, DateTime.UtcNow.AddSeconds(seconds));
        }
    }

    public void StallStreams(double seconds)
    {
        lock (_gate)
        {
            _stallUntil = DateTime.UtcNow.AddSeconds(seconds);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _errors = null;
            _latency = null;
            _stallUntil = DateTime.MinValue;
        }
    }

    public bool StreamsStalled
    {
        get
        {
            lock (_gate)
            {
                return DateTime.UtcNow < _stallUntil;
            }
        }
    }

    /// <summary>The status to answer instead of serving this request, or null.</summary>
    public int? DrawError()
    {
        lock (_gate)
        {
            if (_errors is { } e && DateTime.UtcNow < e.Until && Random.Shared.NextDouble() < e.Fraction)
            {
                return e.Status;
            }
        }

        return null;
    }

    public TimeSpan Latency
    {
        get
        {
            lock (_gate)
            {
                return _latency is { } l && DateTime.UtcNow < l.Until ? TimeSpan.FromMilliseconds(l.Milliseconds) : TimeSpan.Zero;
            }
        }
    }
}
