using Qindex.Index.Query;
using Qindex.Index.Store;

namespace Qindex.Index.Watch;

/// <summary>Where the watcher learns which indexed paths share a file id (hard links).</summary>
public interface IHardLinkSource
{
    /// <summary>Every (id, path) of a row whose num_links is above 1.</summary>
    Task<IReadOnlyList<(string Id, string Path)>> LinkedAsync(CancellationToken cancellationToken);

    /// <summary>Every indexed path of each file id in <paramref name="ids"/> (ids without a row are left out), in one read.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> PathsOfAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);
}

/// <summary>
/// Reads hard links from the committed index: every linked row with DuckDB (once a connect), and
/// the rows of given ids from the Iceberg store's ids kept in memory (DuckDB for other stores).
/// </summary>
public sealed class IndexHardLinkSource(IIndexStore store) : IHardLinkSource
{
    public async Task<IReadOnlyList<(string Id, string Path)>> LinkedAsync(CancellationToken cancellationToken)
    {
        await using var engine = await QueryEngine.OpenAsync(store, cancellationToken).ConfigureAwait(false);
        var result = await engine.QueryAsync("SELECT id, path FROM files WHERE num_links > 1 AND id IS NOT NULL", cancellationToken).ConfigureAwait(false);
        return result.Rows.Select(r => ((string)r[0]!, (string)r[1]!)).ToList();
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> PathsOfAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        // The Iceberg store keeps every row's id by position in memory: no scan of the table.
        if (store is IcebergIndexStore iceberg)
        {
            return await iceberg.PathsOfIdsAsync(ids, cancellationToken).ConfigureAwait(false);
        }

        // Ids are the cluster's decimal file numbers; anything else is not looked up. One query for
        // a whole batch: each opens the index's views, which costs more than the scan.
        var wanted = ids.Where(id => id.Length > 0 && id.All(char.IsAsciiDigit)).Distinct(StringComparer.Ordinal).ToList();
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return result;
        }

        await using var engine = await QueryEngine.OpenAsync(store, cancellationToken).ConfigureAwait(false);
        await using var reader = await engine.ExecuteReaderAsync(
            "SELECT id, path FROM files WHERE id IN (SELECT unnest(string_split(?, ',')))", [string.Join(',', wanted)], cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string id = reader.GetString(0), path = reader.GetString(1);
            if (!result.TryGetValue(id, out var paths))
            {
                result[id] = paths = new List<string>();
            }

            ((List<string>)paths).Add(path);
        }

        return result;
    }
}

/// <summary>
/// The indexed paths of hard-linked files, by id. Removing or adding one link changes
/// num_links of the others, and no event names them, so after a batch touches a linked id
/// the watcher refreshes its other paths too. Built from the index at each (re)connect and kept
/// up to date by every batch; only rows with num_links above 1 are held. Paths are kept sorted
/// too, so a directory moved or removed finds the linked paths beneath it as one range: a scan of
/// every linked path per directory step took most of a batch's time at 10M rows (hundreds of
/// steps a batch over the generated tree's linked rows).
/// </summary>
public sealed class HardLinkMap
{
    private readonly Dictionary<string, HashSet<string>> _pathsById = new(StringComparer.Ordinal);
    private readonly PrefixMap<string> _idByPath = new();

    /// <summary>Paths held.</summary>
    public int Count => _idByPath.Count;

    /// <summary>Replaces the content with <paramref name="links"/>.</summary>
    public void Reset(IEnumerable<(string Id, string Path)> links)
    {
        _pathsById.Clear();
        _idByPath.Clear();
        foreach (var (id, path) in links)
        {
            Add(id, path);
        }
    }

    public void Add(string id, string path)
    {
        Remove(path);
        if (!_pathsById.TryGetValue(id, out var paths))
        {
            _pathsById[id] = paths = new HashSet<string>(StringComparer.Ordinal);
        }

        paths.Add(path);
        _idByPath[path] = id;
    }

    public bool Contains(string id) => _pathsById.ContainsKey(id);

    public string? IdOf(string path) => _idByPath.TryGetValue(path, out var id) ? id : null;

    public IReadOnlyCollection<string> PathsOf(string id) => _pathsById.TryGetValue(id, out var paths) ? paths : [];

    public void Remove(string path)
    {
        if (_idByPath.Remove(path, out var id) && _pathsById.TryGetValue(id, out var paths))
        {
            paths.Remove(path);
            if (paths.Count == 0)
            {
                _pathsById.Remove(id);
            }
        }
    }

    /// <summary>Forgets every path under <paramref name="directory"/>; returns the ids they had.</summary>
    public IReadOnlySet<string> RemoveSubtree(string directory)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in _idByPath.KeysStartingWith(directory))
        {
            ids.Add(_idByPath[path]);
            Remove(path);
        }

        return ids;
    }

    public void MoveSubtree(string oldDirectory, string newDirectory)
    {
        foreach (var path in _idByPath.KeysStartingWith(oldDirectory))
        {
            string id = _idByPath[path];
            Remove(path);
            Add(id, newDirectory + path[oldDirectory.Length..]);
        }
    }
}
