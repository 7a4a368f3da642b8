using System.Buffers;
using System.Text.Json;
using Qindex.Index.Store;

namespace Qindex.Index.Watch;

/// <summary>
/// The paths the watcher changed since the baseline snapshot, kept in a local file beside the
/// index. A catch-up compares the cluster at a new snapshot with the baseline, but the index has
/// moved on since the baseline (batches applied from events), and a net difference misses an
/// object created and removed again in between. So a catch-up also refreshes every path listed
/// here. Each batch's paths are appended and flushed to disk before its commit (a superset of
/// what landed is harmless: refreshing is idempotent); the file is emptied after a catch-up
/// commits its new baseline.
/// </summary>
public sealed class TouchedPathJournal
{
    /// <summary>Paths remembered to keep the file free of repeats; beyond it, repeats are written (reading drops them).</summary>
    public const int DefaultRememberedPaths = 1_000_000;

    private readonly string _file;
    // Keys of the entries written, not the paths: about 36 bytes an entry in the set where a path
    // string takes a few hundred (a million paths held about 300 MB under the watch benchmark's
    // load; 36 MB now). Two entries sharing a 128-bit key (1 in 10^26 at a million) would leave
    // one line out; see PathKeyIndex.
    private readonly HashSet<UInt128> _written = [];
    private readonly int _remember;
    private bool _loaded;

    public TouchedPathJournal(string indexDirectory)
        : this(indexDirectory, DefaultRememberedPaths)
    {
    }

    /// <summary>
    /// A journal that remembers at most <paramref name="rememberedPaths"/> written paths: a watcher
    /// at thousands of changes a second touches millions of distinct paths between two baselines
    /// (30 minutes by default), and remembering them all would hold hundreds of megabytes.
    /// </summary>
    internal TouchedPathJournal(string indexDirectory, int rememberedPaths)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rememberedPaths, 1);
        _file = Path.Combine(Path.GetFullPath(indexDirectory), "watch-touched.jsonl");
        _remember = rememberedPaths;
    }

    /// <summary>Paths remembered now (for tests).</summary>
    internal int Remembered => _written.Count;

    /// <summary>The file's location.</summary>
    public string FilePath => _file;

    /// <summary>
    /// Appends the paths a plan touches, and the paths its batch wrote rows at (<paramref name="written"/>:
    /// an entry read by id lands where the cluster says, which may be a path no event named), and
    /// waits until they are on disk.
    /// </summary>
    public async Task AppendAsync(WatchPlan plan, IEnumerable<string> written, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(written);
        if (!_loaded)
        {
            await ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        // Each line serialized as UTF-8 straight into one buffer: a batch under a busy load
        // journals tens of thousands of paths, and a string, a builder and two copies a path were
        // about 4 percent of the watcher's bytes.
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var json = new Utf8JsonWriter(buffer);
        void Line(string path, bool subtree)
        {
            if (_written.Count >= _remember)
            {
                _written.Clear();
            }

            // A path changed many times since the baseline is recorded once.
            if (_written.Add(KeyOf(path, subtree)))
            {
                JsonSerializer.Serialize(json, new Entry(path, subtree), JournalJson.Default.Entry);
                json.Flush();
                buffer.Write("\n"u8);
                json.Reset(buffer);
            }
        }

        // A directory written as a whole subtree is crawled again by a catch-up, which covers
        // every path beneath it: those are not written one by one (a directory of millions of
        // files moved in would otherwise journal each of its rows, and the catch-up read each).
        var subtrees = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in plan.Structural)
        {
            Line(step.Path, step.Kind != StructuralKind.Delete);
            if (step.Kind != StructuralKind.Delete)
            {
                subtrees.Add(step.Path);
            }

            if (step.NewPath is not null)
            {
                Line(step.NewPath, true);
                subtrees.Add(step.NewPath);
            }
        }

        foreach (var directory in plan.Crawl)
        {
            Line(directory, true);
            subtrees.Add(directory);
        }

        var under = subtrees.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var path in plan.Refresh.Concat(written))
        {
            if (subtrees.Count == 0 || !UnderAny(path, under))
            {
                Line(path, false);
            }
        }

        if (buffer.WrittenCount == 0)
        {
            return;
        }

        await using var stream = new FileStream(_file, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Whether <paramref name="path"/> is one of the directories, or lies beneath one (each prefix ending in '/' is looked up).</summary>
    private static bool UnderAny(string path, HashSet<string>.AlternateLookup<ReadOnlySpan<char>> directories)
    {
        for (int slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            if (directories.Contains(path.AsSpan(0, slash + 1)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every path recorded since the last <see cref="ClearAsync"/>: (path, whole subtree).</summary>
    public async Task<IReadOnlyList<(string Path, bool Subtree)>> ReadAsync(CancellationToken cancellationToken)
    {
        _loaded = true;
        _written.Clear();
        if (!File.Exists(_file))
        {
            return [];
        }

        var result = new List<(string, bool)>();
        foreach (var line in await File.ReadAllLinesAsync(_file, cancellationToken).ConfigureAwait(false))
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                var entry = JsonSerializer.Deserialize(line, JournalJson.Default.Entry);
                if (entry?.P is { Length: > 0 } path)
                {
                    if (_written.Add(KeyOf(path, entry.S)))
                    {
                        result.Add((path, entry.S));
                    }
                }
            }
            catch (JsonException)
            {
                // A line torn by a crash mid-append belonged to a batch that never committed.
            }
        }

        return result;
    }

    /// <summary>Empties the journal (after a catch-up made the index equal a new baseline).</summary>
    public Task ClearAsync()
    {
        _written.Clear();
        _loaded = true;
        if (File.Exists(_file))
        {
            File.Delete(_file);
        }

        return Task.CompletedTask;
    }

    private static UInt128 KeyOf(string path, bool subtree)
    {
        var key = PathKeyIndex.KeyOf(path);
        return subtree ? ~key : key;
    }

    internal sealed record Entry(string P, bool S);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(TouchedPathJournal.Entry))]
internal sealed partial class JournalJson : System.Text.Json.Serialization.JsonSerializerContext;
