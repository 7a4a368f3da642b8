using System.Text;

namespace Qindex.Index.Import;

/// <summary>
/// The smallest and largest path written to one data file, compared as UTF-8 bytes (the order of
/// Iceberg's string bounds). Kept from the values themselves, so a file is bounded even when the
/// Parquet writer drops the statistics of a long value.
/// </summary>
internal sealed class PathBounds
{
    private byte[]? _lower;
    private byte[]? _upper;

    public string? Lower => _lower is null ? null : Encoding.UTF8.GetString(_lower);

    public string? Upper => _upper is null ? null : Encoding.UTF8.GetString(_upper);

    public void Add(ReadOnlySpan<byte> path)
    {
        if (_lower is null || path.SequenceCompareTo(_lower) < 0)
        {
            _lower = path.ToArray();
        }

        if (_upper is null || path.SequenceCompareTo(_upper) > 0)
        {
            _upper = path.ToArray();
        }
    }
}
