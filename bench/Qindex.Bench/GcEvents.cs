using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Qindex.Bench;

/// <summary>
/// The runtime's collection events, in this process, for the watch benchmark's trace
/// (<c>--gc-events</c>): why each collection of the oldest generation started, and which types
/// the large-object heap was allocated for (sampled by the runtime, one event about every
/// 100 KB allocated). Printed and reset at each batch.
/// </summary>
internal sealed class GcEvents : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GcStart = 1;
    private const int AllocationTick = 10;

    private static readonly string[] Reasons =
    [
        "small alloc", "induced", "low memory", "empty", "large alloc", "out of space (small)", "out of space (large)",
        "induced, not forced", "internal", "induced, low memory", "induced, compacting", "low memory (host)", "provisional", "low memory (host, blocking)",
    ];

    private readonly ConcurrentDictionary<string, int> _gen2 = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _large = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId == GcStart && eventData.Payload is { Count: >= 3 } start)
        {
            if (Convert.ToInt32(start[1], CultureInfo.InvariantCulture) == 2)
            {
                int reason = Convert.ToInt32(start[2], CultureInfo.InvariantCulture);
                _gen2.AddOrUpdate(reason < Reasons.Length ? Reasons[reason] : reason.ToString(CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
            }
        }
        else if (eventData.EventId == AllocationTick && eventData.PayloadNames is { } names && eventData.Payload is { } values)
        {
            int kind = names.IndexOf("AllocationKind");
            int type = names.IndexOf("TypeName");
            int amount = names.IndexOf("AllocationAmount64");
            if (kind >= 0 && type >= 0 && amount >= 0 && Convert.ToInt32(values[kind], CultureInfo.InvariantCulture) == 1)
            {
                _large.AddOrUpdate(values[type] as string ?? "?", Convert.ToInt64(values[amount], CultureInfo.InvariantCulture), (_, n) => n + Convert.ToInt64(values[amount], CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>What was seen since the last call, as one line; then forgotten.</summary>
    public string TakeSummary()
    {
        var gen2 = string.Join(", ", _gen2.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value}"));
        var large = string.Join(", ", _large.OrderByDescending(p => p.Value).Take(6).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value / 1048576.0:F0} MB")));
        _gen2.Clear();
        _large.Clear();
        return $"oldest-generation collections by reason [{gen2}], large objects sampled by type [{large}]";
    }
}
