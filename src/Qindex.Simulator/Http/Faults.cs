namespace Qindex.Simulator.Http;

/// <summary>
/// Faults injected on demand through the admin API: error answers for a fraction of requests,
/// a rate limit (token bucket), added latency, stalled or dropped notify streams. One instance per server, never static.
/// </summary>
internal sealed class Faults : IDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _streams = new();
    private (int Status, double Fraction, DateTime Until)? _errors;
    private (int Milliseconds, DateTime Until)? _latency;
    private DateTime _stallUntil = DateTime.MinValue;
    private RateLimit? _rateLimit;

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

    /// <summary>
    /// A token bucket in front of the API, as a rate-limiting proxy puts one: <paramref name="requestsPerSecond"/>
    /// tokens a second, a burst of one second's worth, a 429 with Retry-After for a request that finds it empty.
    /// </summary>
    public void SetRateLimit(double requestsPerSecond, double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            _rateLimit = new RateLimit(requestsPerSecond, now.AddSeconds(seconds)) { Tokens = requestsPerSecond, Refilled = now };
        }
    }

    /// <summary>
    /// Takes a token when a rate limit is on. False means refuse the request; <paramref name="retryAfterSeconds"/>
    /// is then the whole seconds until a token will be there (at least 1, as Retry-After counts whole seconds).
    /// </summary>
    public bool TryTakeToken(out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            if (_rateLimit is not { } limit || now >= limit.Until)
            {
                return true;
            }

            limit.Tokens = Math.Min(limit.PerSecond, limit.Tokens + ((now - limit.Refilled).TotalSeconds * limit.PerSecond));
            limit.Refilled = now;
            if (limit.Tokens >= 1)
            {
                limit.Tokens -= 1;
                return true;
            }

            retryAfterSeconds = Math.Max(1, (int)Math.Ceiling((1 - limit.Tokens) / limit.PerSecond));
            return false;
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
            _rateLimit = null;
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

    private sealed class RateLimit(double perSecond, DateTime until)
    {
        public double PerSecond { get; } = perSecond;
        public DateTime Until { get; } = until;
        public double Tokens { get; set; }
        public DateTime Refilled { get; set; }
    }
}
