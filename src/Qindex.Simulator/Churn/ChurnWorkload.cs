using System.Diagnostics;
using System.Globalization;
using Qindex.Qumulo;

namespace Qindex.Simulator.Churn;

/// <summary>
/// A realistic random workload driven through the REST API alone (a <see cref="QumuloClient"/>,
/// never the model), so it runs against the simulator and a real cluster alike. It first lists
/// the churned directory and a scratch directory beside it, then keeps its own picture of both
/// trees up to date as it changes them, and draws each step from that picture with a seeded
/// random generator: the same seed against the same starting tree gives the same steps.
/// </summary>
public sealed class ChurnWorkload
{
    /// <summary>The step kinds, in the order a summary lists them.</summary>
    public static readonly IReadOnlyList<string> Kinds =
    [
        CreateFile, CreateDirectory, CreateSymlink, CreateLink, Write, Replace, SetAttributes,
        RenameFile, MoveFile, RenameDirectory, MoveDirectory, RenameClobber, DeleteFile, DeleteTree,
        MoveOut, MoveIn, StreamCreate, StreamWrite, StreamDelete,
    ];

    private const string CreateFile = "create_file";
    private const string CreateDirectory = "create_dir";
    private const string CreateSymlink = "create_symlink";
    private const string CreateLink = "create_link";
    private const string Write = "write";
    private const string Replace = "replace";
    private const string SetAttributes = "set_attributes";
    private const string RenameFile = "rename_file";
    private const string MoveFile = "move_file";
    private const string RenameDirectory = "rename_dir";
    private const string MoveDirectory = "move_dir";
    private const string RenameClobber = "rename_clobber";
    private const string DeleteFile = "delete_file";
    private const string DeleteTree = "delete_tree";
    private const string MoveOut = "move_out";
    private const string MoveIn = "move_in";
    private const string StreamCreate = "stream_create";
    private const string StreamWrite = "stream_write";
    private const string StreamDelete = "stream_delete";

    private static readonly (string Kind, int Weight)[] Mix =
    [
        (CreateFile, 14), (CreateDirectory, 5), (CreateSymlink, 3), (CreateLink, 2), (Write, 10), (Replace, 5),
        (SetAttributes, 10), (RenameFile, 4), (MoveFile, 5), (RenameDirectory, 3), (MoveDirectory, 3), (RenameClobber, 2),
        (DeleteFile, 7), (DeleteTree, 2), (MoveOut, 3), (MoveIn, 3), (StreamCreate, 4), (StreamWrite, 4), (StreamDelete, 2),
    ];

    private static readonly int TotalWeight = Mix.Sum(m => m.Weight);

    private static readonly string[] PlainStems = ["report", "data", "IMG", "backup", "notes", "render", "build", "log", "model", "video"];

    internal static readonly string[] AwkwardStems =
    [
        "quarterly report", "it's mine", "say \"cheese\"", "100% done", "café résumé", "報告書 データ", "line\nbreak",
        "tab\there", "back\\slash", "what? #1 & more", " leading space", "emoji-free ümlaut Ø", "50%20encoded",
    ];

    private static readonly string[] Extensions = [".txt", ".csv", ".jpg", ".bin", ".log", "", ".tar.gz", ".json"];

    private static readonly string[] ExtendedFlags = ["read_only", "hidden", "system", "archive", "temporary", "not_content_indexed"];

    /// <summary>Shared payload; only lengths matter to the simulator, a real cluster stores these bytes.</summary>
    private static readonly ReadOnlyMemory<byte> Payload = Enumerable.Range(0, 1 << 20).Select(i => (byte)((i * 31) + (i >> 8))).ToArray();

    private readonly IChurnTarget _target;
    private readonly ChurnOptions _options;
    private readonly Random _random;
    private readonly Dictionary<string, long> _counts = Kinds.ToDictionary(k => k, _ => 0L, StringComparer.Ordinal);
    private readonly Dictionary<string, int> _links = new(StringComparer.Ordinal);
    private readonly List<(string FileId, string StreamId)> _streams = [];
    private ChurnArea _main = null!;
    private ChurnArea _scratch = null!;
    private int _keepEntries;
    private int _keepDirectories;
    private long _names;

    public ChurnWorkload(QumuloClient client, ChurnOptions options)
        : this(new RestChurnTarget(client ?? throw new ArgumentNullException(nameof(client))), options)
    {
    }

    /// <summary>The workload against any target; the in-simulator load uses the model itself.</summary>
    internal ChurnWorkload(IChurnTarget target, ChurnOptions options)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Path.StartsWith('/') || options.Path.Trim('/').Length == 0)
        {
            throw new ArgumentException("The churned path must be an absolute directory other than the root (a scratch directory is made beside it).", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.Ops);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Rate);
        _target = target;
        _options = options;
        _random = new Random(options.Seed);
    }

    /// <summary>The scratch directory beside the churned one: entries move out to it and back in from it.</summary>
    public static string ScratchPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.TrimEnd('/') + " (churn scratch)/";
    }

    /// <summary>Lists both trees, then runs the steps. A failing call stops the run with the step that failed.</summary>
    public async Task<ChurnResult> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long requestsBefore = _target.Calls;
        await PrepareAsync(cancellationToken).ConfigureAwait(false);

        var interval = _options.Rate > 0 ? TimeSpan.FromSeconds(1 / _options.Rate) : TimeSpan.Zero;
        var paced = Stopwatch.StartNew();
        for (var step = 0; step < _options.Ops; step++)
        {
            if (interval > TimeSpan.Zero && interval * step - paced.Elapsed is { } wait && wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            await NextStepAsync(step, cancellationToken).ConfigureAwait(false);
        }

        return new ChurnResult(Counts, _target.Calls - requestsBefore, clock.Elapsed);
    }

    /// <summary>Steps done so far, by kind.</summary>
    internal IReadOnlyDictionary<string, long> Counts => new Dictionary<string, long>(_counts, StringComparer.Ordinal);

    /// <summary>Lists the churned tree and its scratch area (made if missing) into the workload's picture.</summary>
    internal async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var path = _options.Path.TrimEnd('/') + "/";
        _main = new ChurnArea(await LoadAsync(path, cancellationToken).ConfigureAwait(false));
        await LoadTreeAsync(_main, cancellationToken).ConfigureAwait(false);
        _scratch = new ChurnArea(await LoadScratchAsync(path, cancellationToken).ConfigureAwait(false));
        await LoadTreeAsync(_scratch, cancellationToken).ConfigureAwait(false);
        _keepEntries = _main.Count;
        _keepDirectories = _main.Directories.Count;
    }

    /// <summary>Draws and does one step (after <see cref="PrepareAsync"/>); returns the kind done. A failing call stops with the step that failed.</summary>
    internal async Task<string> NextStepAsync(long step, CancellationToken cancellationToken)
    {
        var kind = Draw();
        try
        {
            kind = await StepAsync(kind, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is QumuloApiException or Model.ClusterException)
        {
            throw new InvalidOperationException($"churn step {step + 1} ({kind}) failed: {e.Message}", e);
        }

        _counts[kind]++;
        return kind;
    }

    private string Draw()
    {
        var roll = _random.Next(TotalWeight);
        foreach (var (kind, weight) in Mix)
        {
            if (roll < weight)
            {
                return kind;
            }

            roll -= weight;
        }

        return CreateFile;
    }

    /// <summary>Does one step; returns the kind actually done (a step with nothing to act on, or one that would shrink the tree below its starting size, creates a file or a directory instead).</summary>
    private async Task<string> StepAsync(string kind, CancellationToken ct)
    {
        // The churned tree keeps the size it was found at: a step that would shrink it below that
        // (in entries, or in directories for the steps that remove directories) creates instead.
        // Without this the mix empties any tree in time (a tree deletion removes up to
        // MaxTreeDelete entries, a creation adds one), and what is left are a few huge directories.
        var shrinks = kind switch
        {
            DeleteFile or RenameClobber => _main.Count < _keepEntries,
            DeleteTree or MoveOut => _main.Count < _keepEntries || _main.Directories.Count < _keepDirectories,
            _ => false,
        };
        var done = !shrinks && kind switch
        {
            CreateFile => await CreateAsync(ChurnKind.File, ct).ConfigureAwait(false),
            CreateDirectory => await CreateAsync(ChurnKind.Directory, ct).ConfigureAwait(false),
            CreateSymlink => await CreateAsync(ChurnKind.Symlink, ct).ConfigureAwait(false),
            CreateLink => await CreateLinkAsync(ct).ConfigureAwait(false),
            Write => await WriteAsync(truncate: false, ct).ConfigureAwait(false),
            Replace => await WriteAsync(truncate: true, ct).ConfigureAwait(false),
            SetAttributes => await SetAttributesAsync(ct).ConfigureAwait(false),
            RenameFile => await RenameAsync(directory: false, move: false, ct).ConfigureAwait(false),
            MoveFile => await RenameAsync(directory: false, move: true, ct).ConfigureAwait(false),
            RenameDirectory => await RenameAsync(directory: true, move: false, ct).ConfigureAwait(false),
            MoveDirectory => await RenameAsync(directory: true, move: true, ct).ConfigureAwait(false),
            RenameClobber => await RenameClobberAsync(ct).ConfigureAwait(false),
            DeleteFile => await DeleteFileAsync(ct).ConfigureAwait(false),
            DeleteTree => await DeleteTreeAsync(ct).ConfigureAwait(false),
            MoveOut => await MoveAcrossAsync(_main, _scratch, ct).ConfigureAwait(false),
            MoveIn => await MoveAcrossAsync(_scratch, _main, ct).ConfigureAwait(false),
            StreamCreate => await StreamCreateAsync(ct).ConfigureAwait(false),
            StreamWrite => await StreamWriteAsync(ct).ConfigureAwait(false),
            StreamDelete => await StreamDeleteAsync(ct).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        if (done)
        {
            return kind;
        }

        if (_main.Directories.Count < _keepDirectories)
        {
            await CreateAsync(ChurnKind.Directory, ct).ConfigureAwait(false);
            return CreateDirectory;
        }

        await CreateAsync(ChurnKind.File, ct).ConfigureAwait(false);
        return CreateFile;
    }

    // ------------------------------------------------------------------ steps

    private async Task<bool> CreateAsync(ChurnKind kind, CancellationToken ct)
    {
        var parent = PickDirectory(_main);
        var name = NewName(kind, parent);
        var id = await _target.CreateAsync(parent.Path, name, kind, kind == ChurnKind.Symlink ? SymlinkTarget() : null, ct).ConfigureAwait(false);
        var entry = new ChurnEntry(name, kind, id, parent);
        _main.Attach(parent, entry);
        CountLink(entry.Id, +1);
        if (kind == ChurnKind.File && _random.Next(3) == 0)
        {
            await _target.WriteAsync(entry.Id, 0, Slice(), replace: true, ct).ConfigureAwait(false);
        }

        return true;
    }

    private string SymlinkTarget()
    {
        if (_random.Next(3) > 0 && Pick(_main.Files) is { } file)
        {
            return file.PlainPath;
        }

        return "../missing/" + NewName(ChurnKind.File, null);
    }

    private async Task<bool> CreateLinkAsync(CancellationToken ct)
    {
        if (Pick(_main.Files) is not { } target)
        {
            return false;
        }

        var parent = PickDirectory(_main);
        var name = NewName(ChurnKind.File, parent);
        await _target.CreateLinkAsync(parent.Path, name, target.PlainPath, ct).ConfigureAwait(false);
        _main.Attach(parent, new ChurnEntry(name, target.Kind, target.Id, parent));
        CountLink(target.Id, +1);
        return true;
    }

    private async Task<bool> WriteAsync(bool truncate, CancellationToken ct)
    {
        if (PickRegularFile() is not { } file)
        {
            return false;
        }

        var data = Slice();
        if (truncate)
        {
            await _target.WriteAsync(file.Path, 0, data, replace: true, ct).ConfigureAwait(false);
        }
        else
        {
            await _target.WriteAsync(file.Path, _random.Next(0, 1 << 20), data, replace: false, ct).ConfigureAwait(false);
        }

        return true;
    }

    private async Task<bool> SetAttributesAsync(CancellationToken ct)
    {
        var onDirectory = _random.Next(4) == 0 && _main.Directories.Count > 1;
        var entry = onDirectory ? PickDirectory(_main, allowRoot: false) : Pick(_main.Files);
        if (entry is null)
        {
            return false;
        }

        var id = _random.Next(1000, 70000).ToString(CultureInfo.InvariantCulture);
        var time = new DateTimeOffset(2015, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(_random.NextInt64(0, 10L * 365 * 86400));
        var stamp = time.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture) + "." + _random.Next(0, 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture) + "Z";
        var choice = _random.Next(entry.Kind == ChurnKind.File ? 11 : 10);
        AttributeChanges changes = choice switch
        {
            0 => new() { Mode = "0" + Convert.ToString(_random.Next(0, 512), 8).PadLeft(3, '0') },
            1 => new() { Owner = id },
            2 => new() { Group = id },
            3 => new() { OwnerDetails = new FileIdentity("NFS_UID", id) },
            4 => new() { GroupDetails = new FileIdentity("NFS_GID", id) },
            5 => new() { AccessTime = stamp },
            6 => new() { ModificationTime = stamp },
            7 => new() { CreationTime = stamp },
            8 => new() { ChangeTime = stamp },
            9 => new() { ExtendedAttributes = new Dictionary<string, bool> { [ExtendedFlags[_random.Next(ExtendedFlags.Length)]] = _random.Next(2) == 0 } },
            _ => new() { Size = _random.Next(0, 1 << 22) },
        };
        await _target.PatchAttributesAsync(entry.Path, changes, ct).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> RenameAsync(bool directory, bool move, CancellationToken ct)
    {
        var source = directory ? PickBigDirectory(_main) : Pick(_main.Files);
        if (source is null)
        {
            return false;
        }

        var destination = source.Parent!;
        if (move)
        {
            destination = PickDestination(_main, source);
            if (destination is null || ReferenceEquals(destination, source.Parent))
            {
                return false;
            }
        }

        var name = move && !destination.Children.ContainsKey(source.Name) && _random.Next(2) == 0 ? source.Name : NewName(source.Kind, destination);
        await _target.RenameAsync(destination.Path, name, source.PlainPath, clobber: false, ct).ConfigureAwait(false);
        Relocate(source, _main, _main, destination, name);
        return true;
    }

    private async Task<bool> RenameClobberAsync(CancellationToken ct)
    {
        var source = Pick(_main.Files);
        var victim = Pick(_main.Files);
        if (source is null || victim is null || source.Id == victim.Id)
        {
            return false;
        }

        var parent = victim.Parent!;
        var name = victim.Name;
        await _target.RenameAsync(parent.Path, name, source.PlainPath, clobber: true, ct).ConfigureAwait(false);
        _main.Detach(victim);
        CountLink(victim.Id, -1);
        Relocate(source, _main, _main, parent, name);
        return true;
    }

    private async Task<bool> DeleteFileAsync(CancellationToken ct)
    {
        if (Pick(_main.Files) is not { } file)
        {
            return false;
        }

        await _target.DeleteAsync(file.Path, ct).ConfigureAwait(false);
        _main.Detach(file);
        CountLink(file.Id, -1);
        return true;
    }

    /// <summary>Deletes a whole directory the way a client must: list it, then delete bottom-up.</summary>
    private async Task<bool> DeleteTreeAsync(CancellationToken ct)
    {
        ChurnEntry? chosen = null;
        for (var attempt = 0; attempt < 6 && chosen is null; attempt++)
        {
            var candidate = PickDirectory(_main, allowRoot: false);
            if (candidate is not null && candidate.Subtree().Take(_options.MaxTreeDelete + 1).Count() <= _options.MaxTreeDelete)
            {
                chosen = candidate;
            }
        }

        if (chosen is null)
        {
            return false;
        }

        await DeleteRecursivelyAsync(chosen.Path, ct).ConfigureAwait(false);
        foreach (var entry in chosen.Subtree().Where(e => !e.IsDirectory))
        {
            CountLink(entry.Id, -1);
        }

        _main.Detach(chosen);
        return true;
    }

    private async Task DeleteRecursivelyAsync(string directory, CancellationToken ct)
    {
        // Collect the listing first: deleting while paging would disturb the cursor.
        var children = new List<(string Path, bool IsDirectory)>();
        await foreach (var child in _target.ListAsync(directory, ct).ConfigureAwait(false))
        {
            children.Add((child.Path, child.Kind == ChurnKind.Directory));
        }

        foreach (var (path, isDirectory) in children)
        {
            if (isDirectory)
            {
                await DeleteRecursivelyAsync(path, ct).ConfigureAwait(false);
            }
            else
            {
                await _target.DeleteAsync(path, ct).ConfigureAwait(false);
            }
        }

        await _target.DeleteAsync(directory, ct).ConfigureAwait(false);
    }

    private async Task<bool> MoveAcrossAsync(ChurnArea from, ChurnArea to, CancellationToken ct)
    {
        var source = _random.Next(3) == 0 ? PickDirectory(from, allowRoot: false) : Pick(from.Files);
        if (source is null)
        {
            return false;
        }

        if (PickDestination(to, source) is not { } destination)
        {
            return false;
        }

        var name = destination.Children.ContainsKey(source.Name) ? NewName(source.Kind, destination) : source.Name;
        await _target.RenameAsync(destination.Path, name, source.PlainPath, clobber: false, ct).ConfigureAwait(false);
        Relocate(source, from, to, destination, name);
        return true;
    }

    private async Task<bool> StreamCreateAsync(CancellationToken ct)
    {
        if (PickRegularFile() is not { } file)
        {
            return false;
        }

        var name = _random.Next(3) == 0 ? AwkwardStems[_random.Next(AwkwardStems.Length)] + " " + Token() : "stream-" + Token();
        var streamId = await _target.CreateStreamAsync(file.Id, name, ct).ConfigureAwait(false);
        _streams.Add((file.Id, streamId));
        return true;
    }

    private async Task<bool> StreamWriteAsync(CancellationToken ct)
    {
        if (PickStream() is not { } stream)
        {
            return false;
        }

        if (_random.Next(2) == 0)
        {
            await _target.WriteStreamAsync(stream.FileId, stream.StreamId, 0, Slice(), replace: true, ct).ConfigureAwait(false);
        }
        else
        {
            await _target.WriteStreamAsync(stream.FileId, stream.StreamId, _random.Next(0, 1 << 16), Slice(), replace: false, ct).ConfigureAwait(false);
        }

        return true;
    }

    private async Task<bool> StreamDeleteAsync(CancellationToken ct)
    {
        if (PickStream() is not { } stream)
        {
            return false;
        }

        await _target.DeleteStreamAsync(stream.FileId, stream.StreamId, ct).ConfigureAwait(false);
        _streams.Remove(stream);
        return true;
    }

    // ------------------------------------------------------------------ the local picture

    private async Task<ChurnEntry?> TryLoadAsync(string path, CancellationToken ct)
    {
        if (await _target.LookupAsync(path, ct).ConfigureAwait(false) is not { } found)
        {
            return null;
        }

        if (!found.IsDirectory)
        {
            throw new ArgumentException($"{path} is not a directory.");
        }

        return new ChurnEntry(path, ChurnKind.Directory, found.Id, null);
    }

    private async Task<ChurnEntry> LoadAsync(string path, CancellationToken ct) =>
        await TryLoadAsync(path, ct).ConfigureAwait(false) ?? throw new ArgumentException($"{path} does not exist.");

    private async Task<ChurnEntry> LoadScratchAsync(string path, CancellationToken ct)
    {
        var scratch = ScratchPath(path);
        if (await TryLoadAsync(scratch, ct).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        // First run against this directory: make the scratch area.
        var trimmed = scratch.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        await _target.CreateAsync(trimmed[..(slash + 1)], trimmed[(slash + 1)..], ChurnKind.Directory, null, ct).ConfigureAwait(false);
        return await LoadAsync(scratch, ct).ConfigureAwait(false);
    }

    /// <summary>Lists the area's tree breadth first, in the cluster's listing order.</summary>
    private async Task LoadTreeAsync(ChurnArea area, CancellationToken ct)
    {
        var queue = new Queue<ChurnEntry>([area.Root]);
        while (queue.Count > 0)
        {
            var directory = queue.Dequeue();
            await foreach (var child in _target.ListAsync(directory.Path, ct).ConfigureAwait(false))
            {
                var entry = new ChurnEntry(child.Name, child.Kind, child.Id, directory);
                area.Attach(directory, entry);
                if (entry.IsDirectory)
                {
                    queue.Enqueue(entry);
                }
                else
                {
                    CountLink(entry.Id, +1);
                }
            }
        }
    }

    /// <summary>Moves an entry (and its subtree) to <paramref name="parent"/>/<paramref name="name"/>, possibly into the other area.</summary>
    private static void Relocate(ChurnEntry entry, ChurnArea from, ChurnArea to, ChurnEntry parent, string name)
    {
        if (ReferenceEquals(from, to))
        {
            entry.Parent!.Children.Remove(entry.Name);
            entry.Name = name;
            entry.Parent = parent;
            parent.Children.Add(name, entry);
            return;
        }

        from.Detach(entry);
        entry.Name = name;
        to.Attach(parent, entry);
        foreach (var below in entry.Subtree().Skip(1))
        {
            to.Add(below);
        }
    }

    private void CountLink(string id, int delta)
    {
        var count = _links.GetValueOrDefault(id) + delta;
        if (count > 0)
        {
            _links[id] = count;
        }
        else
        {
            _links.Remove(id);
        }
    }

    private ChurnEntry? Pick(List<ChurnEntry> list) => list.Count == 0 ? null : list[_random.Next(list.Count)];

    private ChurnEntry PickDirectory(ChurnArea area) => PickDirectory(area, allowRoot: true)!;

    private ChurnEntry? PickDirectory(ChurnArea area, bool allowRoot)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var d = area.Directories[_random.Next(area.Directories.Count)];
            if (allowRoot || !ReferenceEquals(d, area.Root))
            {
                return d;
            }
        }

        return allowRoot ? area.Root : null;
    }

    /// <summary>A third of the time, the directory with the most entries among a few picks: big renames happen.</summary>
    private ChurnEntry? PickBigDirectory(ChurnArea area)
    {
        if (_random.Next(3) > 0)
        {
            return PickDirectory(area, allowRoot: false);
        }

        ChurnEntry? best = null;
        for (var i = 0; i < 8; i++)
        {
            var d = PickDirectory(area, allowRoot: false);
            if (d is not null && (best is null || d.Children.Count > best.Children.Count))
            {
                best = d;
            }
        }

        return best;
    }

    /// <summary>
    /// Where a move puts <paramref name="source"/>: any directory for a file; for a directory, one
    /// not inside it and no deeper in its area than the directory's parent is in its own, so moves
    /// do not nest the tree ever deeper (paths would grow without bound, as no real tree's do).
    /// </summary>
    private ChurnEntry? PickDestination(ChurnArea area, ChurnEntry source)
    {
        var deepest = source.IsDirectory ? source.Parent!.Depth : int.MaxValue;
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var d = PickDirectory(area);
            if (!source.IsDirectory || (!d.IsWithin(source) && d.Depth <= deepest))
            {
                return d;
            }
        }

        return null;
    }

    private ChurnEntry? PickRegularFile()
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            if (Pick(_main.Files) is { Kind: ChurnKind.File } file)
            {
                return file;
            }
        }

        return null;
    }

    /// <summary>A stream whose file still exists; streams of files deleted meanwhile are forgotten.</summary>
    private (string FileId, string StreamId)? PickStream()
    {
        while (_streams.Count > 0)
        {
            var i = _random.Next(_streams.Count);
            if (_links.ContainsKey(_streams[i].FileId))
            {
                return _streams[i];
            }

            _streams.RemoveAt(i);
        }

        return null;
    }

    private ReadOnlyMemory<byte> Slice()
    {
        var roll = _random.Next(10);
        var length = roll < 6 ? _random.Next(0, 4097) : roll < 9 ? _random.Next(0, 65_537) : _random.Next(0, Payload.Length + 1);
        return Payload[..length];
    }

    /// <summary>A name not taken in <paramref name="parent"/> (a counter token keeps them apart); sometimes with awkward characters.</summary>
    private string NewName(ChurnKind kind, ChurnEntry? parent)
    {
        string name;
        do
        {
            name = NewNameCandidate(kind);
        }
        while (parent is not null && parent.Children.ContainsKey(name));

        return name;
    }

    private string NewNameCandidate(ChurnKind kind)
    {
        var stem = _random.Next(10) < 3 ? AwkwardStems[_random.Next(AwkwardStems.Length)] : PlainStems[_random.Next(PlainStems.Length)];
        var ext = kind switch
        {
            ChurnKind.Directory => string.Empty,
            ChurnKind.Symlink => ".lnk",
            _ => Extensions[_random.Next(Extensions.Length)],
        };
        return $"{stem} c{Token()}{ext}";
    }

    private string Token() => (++_names).ToString(CultureInfo.InvariantCulture) + "-" + _options.Seed.ToString(CultureInfo.InvariantCulture);
}
