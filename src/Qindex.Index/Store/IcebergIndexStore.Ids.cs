namespace Qindex.Index.Store;

/// <summary>Finding rows by id: the other names of a file that just became hard-linked.</summary>
public sealed partial class IcebergIndexStore
{
    // Each live data file's ids by row position. Data files never change, so a file is read once;
    // files no longer live are dropped at the next lookup. Eight bytes a row: 80 MB at 10M rows.
    private readonly Dictionary<string, ulong[]> _idColumns = new(StringComparer.Ordinal);

    /// <summary>Bytes the kept id columns take.</summary>
    internal long IdColumnBytes
    {
        get
        {
            lock (_idColumns)
            {
                return _idColumns.Values.Sum(c => 8L * c.Length);
            }
        }
    }

    /// <summary>
    /// The committed paths of the rows whose id is one of <paramref name="ids"/> (decimal file
    /// numbers; anything else is not looked up), by id as given. The first lookup reads every
    /// data file's id column; later ones read only the files written since, so a lookup at 10M
    /// rows scans 80 MB of numbers in memory instead of reading the table (DuckDB took about a
    /// second). A matching position counts only while the key index still points its path there:
    /// a row deleted by position is not returned. The lookup holds the write lock, so a commit
    /// waits for it: for the first lookup after a start that is the read of every file's ids
    /// (2.0 to 2.4 s at 10M rows).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> PathsOfIdsAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = new Dictionary<ulong, string>();
        foreach (var id in ids)
        {
            ulong number = DataFileRows.ParseId(id);
            if (number != DataFileRows.NoId)
            {
                wanted.TryAdd(number, id);
            }
        }

        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return result;
        }

        // Under the write lock: no commit or compaction moves the picture while it is read.
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var live = await CurrentLiveAsync(cancellationToken).ConfigureAwait(false);
            var files = live.Files.ToList();
            var locals = new string[files.Count];
            for (int i = 0; i < files.Count; i++)
            {
                locals[i] = await _table.IO.GetLocalCopyAsync(files[i].File.Location, CacheDirectory, cancellationToken).ConfigureAwait(false);
            }

            var columns = new ulong[]?[files.Count];
            DropStaleIdColumns(live);
            lock (_idColumns)
            {
                for (int i = 0; i < files.Count; i++)
                {
                    columns[i] = _idColumns.GetValueOrDefault(files[i].File.Location);
                }
            }

            var matches = new List<(int Position, string Id)>[files.Count];
            await Parallel.ForAsync(0, files.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, (i, _) =>
            {
                var column = columns[i];
                if (column is null)
                {
                    column = DataFileRows.ReadIds(locals[i]);
                    lock (_idColumns)
                    {
                        _idColumns[files[i].File.Location] = column;
                    }
                }

                List<(int, string)>? found = null;
                for (int p = 0; p < column.Length; p++)
                {
                    if (column[p] != DataFileRows.NoId && wanted.TryGetValue(column[p], out var asked))
                    {
                        (found ??= []).Add((p, asked));
                    }
                }

                matches[i] = found ?? [];
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);

            // Only the paths are wanted: from the change sets' cache of paths by position, or read
            // at those positions alone (whole rows, or a whole file's paths, took 0.4 to 1.8 s a
            // batch under the churn at 1M rows).
            for (int i = 0; i < files.Count; i++)
            {
                if (matches[i].Count == 0)
                {
                    continue;
                }

                var cached = _pathsCache.TryGet(files[i].File.Location);
                var read = cached is null ? DataFileRows.ReadPathsAt(locals[i], matches[i].Select(m => m.Position).ToList()) : null;
                foreach (var (position, asked) in matches[i])
                {
                    // A row some change set deleted keeps its id in the file: only the live one counts.
                    // A path the cache left out was gone when it was kept, so it is gone now.
                    var path = cached is not null ? cached.PathAtPosition(position) : read![position];
                    if (path is not null && live.Keys.TryGet(PathKeyIndex.KeyOf(path), out var at) && at == new RowLocator(files[i].Id, position))
                    {
                        if (!result.TryGetValue(asked, out var found))
                        {
                            result[asked] = found = new List<string>();
                        }

                        ((List<string>)found).Add(path);
                    }
                }
            }

            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Forgets the id columns of files a compaction or change set replaced (they would otherwise pile up for the life of a watch).</summary>
    private void DropStaleIdColumns(LiveIndex live)
    {
        var liveLocations = live.Files.Select(f => f.File.Location).ToHashSet(StringComparer.Ordinal);
        lock (_idColumns)
        {
            foreach (var gone in _idColumns.Keys.Where(l => !liveLocations.Contains(l)).ToList())
            {
                _idColumns.Remove(gone);
            }
        }
    }
}
