using System.Diagnostics;
using System.Globalization;

namespace Qindex.Qumulo.Retry;

/// <summary>The attempts made for one logical request: how many, since when, and what may be retried.</summary>
internal sealed class RequestAttempts
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public RequestAttempts(RetryOn retryOn) => RetryOn = retryOn;

    public RetryOn RetryOn { get; }

    /// <summary>Requests sent so far for this call (the first one included).</summary>
    public int Count { get; set; }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The words an error ends with once the policy gave up, e.g. "gave up after 14 attempts over 120.3 s".</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"gave up after {Count} attempt{(Count == 1 ? string.Empty : "s")} over {Elapsed.TotalSeconds:F1} s");
}
