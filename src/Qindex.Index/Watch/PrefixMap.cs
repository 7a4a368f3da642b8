namespace Qindex.Index.Watch;

/// <summary>
/// A map keyed by path that also finds every key under a directory prefix in time proportional
/// to their number (a sorted set beside the dictionary), so a window with hundreds of directory
/// renames does not scan every pending path once per rename.
/// </summary>
internal sealed class PrefixMap<TValue>
{
    private readonly Dictionary<string, TValue> _map = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _sorted = new(StringComparer.Ordinal);

    public int Count => _map.Count;

    /// <summary>Every key and its value, in no particular order.</summary>
    public IEnumerable<KeyValuePair<string, TValue>> Entries => _map;

    public TValue this[string key]
    {
        get => _map[key];
        set
        {
            if (_map.TryAdd(key, value))
            {
                _sorted.Add(key);
            }
            else
            {
                _map[key] = value;
            }
        }
    }

    public bool ContainsKey(string key) => _map.ContainsKey(key);

    public bool TryGetValue(string key, out TValue value) => _map.TryGetValue(key, out value!);

    public bool Remove(string key) => Remove(key, out _);

    public bool Remove(string key, out TValue value)
    {
        if (_map.Remove(key, out value!))
        {
            _sorted.Remove(key);
            return true;
        }

        return false;
    }

    /// <summary>The keys that start with <paramref name="directory"/> (which ends with '/'), in ordinal order, as a copy.</summary>
    public List<string> KeysUnder(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!directory.EndsWith('/'))
        {
            throw new ArgumentException("A directory prefix ends with '/'.", nameof(directory));
        }

        // Every key starting with "x/" lies in ["x/", "x0"): '0' follows '/' in ordinal order.
        // The upper bound is inclusive in a view, so a key equal to it is filtered out.
        var upper = string.Concat(directory.AsSpan(0, directory.Length - 1), "0");
        var keys = new List<string>();
        foreach (var key in _sorted.GetViewBetween(directory, upper))
        {
            if (key.StartsWith(directory, StringComparison.Ordinal))
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    /// <summary>
    /// The keys that start with <paramref name="prefix"/>, as a copy: a range of the sorted keys
    /// when it is a directory (ends with '/'), a scan of every key otherwise.
    /// </summary>
    public List<string> KeysStartingWith(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.EndsWith('/')
            ? KeysUnder(prefix)
            : _sorted.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    public void Clear()
    {
        _map.Clear();
        _sorted.Clear();
    }
}
