namespace Qindex.Index.Store;

/// <summary>
/// Orders paths as Iceberg and Parquet compare strings: by their UTF-8 bytes. Ordinal UTF-16
/// comparison differs from that for characters above U+FFFF against U+E000..U+FFFF, and file
/// bounds written in one order but read in the other would make lookups miss rows.
/// </summary>
public sealed class PathOrder : IComparer<string>
{
    /// <summary>The one instance; the comparer has no state.</summary>
    public static PathOrder Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var common = x.AsSpan().CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length.CompareTo(y.Length);
        }

        var a = x[common];
        var b = y[common];
        // Surrogates (U+D800..U+DFFF) encode code points above U+FFFF, which sort after every
        // BMP character in UTF-8; lift them above U+E000..U+FFFF to match.
        var ka = a >= 0xD800 ? (a <= 0xDFFF ? a + 0x2000 : a - 0x800) : a;
        var kb = b >= 0xD800 ? (b <= 0xDFFF ? b + 0x2000 : b - 0x800) : b;
        return ka.CompareTo(kb);
    }
}
