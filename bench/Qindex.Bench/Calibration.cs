using System.Diagnostics;
using System.Globalization;

namespace Qindex.Bench;

/// <summary>
/// A fixed single-threaded integer loop, timed: the same work on every run, so tables taken
/// while the machine ran slower than usual can be told apart from slower code.
/// </summary>
internal static class Calibration
{
    private const int Rounds = 200_000_000;

    // Where each loop's result goes, so the loop cannot be optimized away.
    private static ulong s_sink;

    /// <summary>The loop's best time of three, in milliseconds.</summary>
    public static double LoopMilliseconds()
    {
        double best = double.MaxValue;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long started = Stopwatch.GetTimestamp();
            ulong x = 88172645463325252UL;
            for (int i = 0; i < Rounds; i++)
            {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }

            double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Volatile.Write(ref s_sink, x);
            best = Math.Min(best, ms);
        }

        return best;
    }

    /// <summary>One line for the top of a benchmark's output.</summary>
    public static string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"Machine speed: a fixed loop of {Rounds:N0} xorshift rounds took {LoopMilliseconds():F0} ms (best of three; compare runs by it).");
}
