namespace Qindex.Simulator.Model;

/// <summary>
/// The model's source of time. Implementations must return strictly increasing values so that
/// two operations never share a timestamp (clients compare times to order changes).
/// </summary>
public interface IClusterClock
{
    FsTimestamp Now();
}

/// <summary>Real UTC time, nudged forward by at least one nanosecond per call.</summary>
public sealed class SystemClusterClock : IClusterClock
{
    private readonly Lock _gate = new();
    private long _last;

    public FsTimestamp Now()
    {
        long now = FsTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow).UnixNanoseconds;
        lock (_gate)
        {
            _last = Math.Max(now, _last + 1);
            return new FsTimestamp(_last);
        }
    }
}

/// <summary>A clock for tests: starts at a given time and advances by a fixed step per call.</summary>
public sealed class ManualClusterClock(FsTimestamp start, long stepNanoseconds = 1_000) : IClusterClock
{
    private readonly Lock _gate = new();
    private long _next = start.UnixNanoseconds;

    public FsTimestamp Now()
    {
        lock (_gate)
        {
            long value = _next;
            _next += stepNanoseconds;
            return new FsTimestamp(value);
        }
    }
}
