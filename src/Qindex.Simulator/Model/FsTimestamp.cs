using System.Globalization;

namespace Qindex.Simulator.Model;

/// <summary>
/// A file system time with full nanosecond precision (Qumulo reports nanoseconds; DateTime only
/// holds 100 ns ticks). <see cref="ToString"/> gives the API form: RFC 3339, 9 fractional digits, Z.
/// </summary>
public readonly record struct FsTimestamp(long UnixNanoseconds) : IComparable<FsTimestamp>
{
    private const long NanosPerSecond = 1_000_000_000;

    public static FsTimestamp FromDateTimeOffset(DateTimeOffset value) =>
        new((value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);

    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.UnixEpoch.AddTicks(UnixNanoseconds / 100);

    public FsTimestamp AddNanoseconds(long nanoseconds) => new(UnixNanoseconds + nanoseconds);

    public int CompareTo(FsTimestamp other) => UnixNanoseconds.CompareTo(other.UnixNanoseconds);

    public static bool operator <(FsTimestamp left, FsTimestamp right) => left.UnixNanoseconds < right.UnixNanoseconds;

    public static bool operator >(FsTimestamp left, FsTimestamp right) => left.UnixNanoseconds > right.UnixNanoseconds;

    public static bool operator <=(FsTimestamp left, FsTimestamp right) => left.UnixNanoseconds <= right.UnixNanoseconds;

    public static bool operator >=(FsTimestamp left, FsTimestamp right) => left.UnixNanoseconds >= right.UnixNanoseconds;

    /// <summary>RFC 3339 with exactly nine fractional digits and a Z suffix.</summary>
    public override string ToString()
    {
        long seconds = Math.DivRem(UnixNanoseconds, NanosPerSecond, out long nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += NanosPerSecond;
        }

        var whole = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        return whole.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture)
            + "." + nanos.ToString("D9", CultureInfo.InvariantCulture) + "Z";
    }

    /// <summary>Parses RFC 3339 with up to nine fractional digits and a Z or numeric offset.</summary>
    public static FsTimestamp Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        long fraction = 0;
        string withoutFraction = text;
        if (dot >= 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            string digits = text[(dot + 1)..end];
            if (digits.Length is 0 or > 9)
            {
                throw ClusterException.BadRequest($"invalid timestamp '{text}'");
            }

            fraction = long.Parse(digits.PadRight(9, '0'), CultureInfo.InvariantCulture);
            withoutFraction = text[..dot] + text[end..];
        }

        if (!DateTimeOffset.TryParse(withoutFraction, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var whole))
        {
            throw ClusterException.BadRequest($"invalid timestamp '{text}'");
        }

        return new FsTimestamp((whole.ToUnixTimeSeconds() * NanosPerSecond) + fraction);
    }
}
