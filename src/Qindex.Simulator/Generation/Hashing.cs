using System.Runtime.CompilerServices;

namespace Qindex.Simulator.Generation;

/// <summary>Pure hash functions: every generated attribute is one of these of (seed, id, purpose).</summary>
internal static class Hashing
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong x)
    {
        // SplitMix64 finalizer: cheap, well distributed, stable across platforms and runtimes.
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Of(long seed, long id, int purpose) =>
        Mix(Mix((ulong)seed ^ ((ulong)purpose << 56)) ^ (ulong)id);

    /// <summary>A uniform double in [0, 1).</summary>
    public static double Unit(ulong h) => (h >> 11) * (1.0 / (1UL << 53));

    public static ulong Fnv(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }
}
