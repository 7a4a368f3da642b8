namespace Qindex.Index.Store;

/// <summary>
/// Paths a merge writes, one buffer of UTF-8 per output file in row order, kept for the paths
/// cache (a compaction's files are searched by the next change set that moves a directory).
/// Collection stops at <paramref name="budget"/> bytes: the files gathered whole before that are
/// kept, the one it stopped in is dropped.
/// </summary>
internal sealed class MergedPaths(long budget)
{
    private readonly List<(byte[] Utf8, int[] Ends, int Length, int Count)> _files = [];
    private long _held;
    private bool _stopped;

    /// <summary>Appends <paramref name="path"/> as the next row of output file <paramref name="file"/> (files are written one after another).</summary>
    public void Add(int file, string path)
    {
        if (_stopped)
        {
            return;
        }

        while (_files.Count <= file)
        {
            _files.Add((new byte[1 << 20], new int[4096], 0, 0));
        }

        var (utf8, ends, length, count) = _files[file];
        int most = System.Text.Encoding.UTF8.GetMaxByteCount(path.Length);
        if ((long)length + most > utf8.Length || count == ends.Length)
        {
            if ((long)length + most > Array.MaxLength || _held + most > budget)
            {
                _files.RemoveAt(file);
                _stopped = true;
                return;
            }

            if (length + most > utf8.Length)
            {
                Array.Resize(ref utf8, (int)Math.Min(Array.MaxLength, Math.Max(2L * utf8.Length, length + most)));
            }

            if (count == ends.Length)
            {
                Array.Resize(ref ends, 2 * ends.Length);
            }
        }

        int written = System.Text.Encoding.UTF8.GetBytes(path, utf8.AsSpan(length));
        ends[count] = length + written;
        _held += written + sizeof(int);
        if (_held > budget)
        {
            _files.RemoveAt(file);
            _stopped = true;
            return;
        }

        _files[file] = (utf8, ends, length + written, count + 1);
    }

    /// <summary>The paths of output file <paramref name="file"/>, or null when it was not gathered whole.</summary>
    public (byte[] Utf8, int[] Ends)? Of(int file)
    {
        if (file >= _files.Count)
        {
            return null;
        }

        var (utf8, ends, length, count) = _files[file];
        if (utf8.Length - length > utf8.Length / 8)
        {
            Array.Resize(ref utf8, length);
        }

        Array.Resize(ref ends, count);
        return (utf8, ends);
    }
}
