namespace Qindex.Simulator.Load;

/// <summary>What an in-simulator load does.</summary>
public enum LoadShape
{
    /// <summary>The mix of <c>qindex sim churn</c> (creates, writes, attributes, renames and moves of files and directories, moves in and out, tree deletes, named streams, hard links, awkward names).</summary>
    Churn,

    /// <summary>An archive being unpacked: one new tree under the load path, directories and files created depth first, each file written once after its create.</summary>
    Unpack,
}

/// <summary>
/// An in-simulator load: <see cref="Shape"/> applied under <see cref="Path"/> directly to the
/// model, at most <see cref="Rate"/> changes a second (0: as fast as the model goes), stopping
/// after <see cref="Changes"/> changes (0: when stopped). A change is one mutation, as one REST
/// request would make it (a create, a write, a rename, a delete ...); a step is never split, so a
/// bounded churn may overshoot by the rest of its last step (a tree delete). The same seed on the
/// same starting tree gives the same changes.
/// </summary>
public sealed record LoadOptions
{
    /// <summary>The default load path, made (with its parents) when missing.</summary>
    public const string DefaultPath = "/load/";

    public LoadShape Shape { get; init; } = LoadShape.Churn;

    public double Rate { get; init; }

    public long Changes { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Absolute directory, not the root; the churn also uses a scratch directory beside it.</summary>
    public string Path { get; init; } = DefaultPath;

    /// <summary>Largest directory a churn deletes whole (entries, all levels).</summary>
    public int MaxTreeDelete { get; init; } = 2000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (double.IsNaN(Rate) || Rate < 0)
        {
            throw new ArgumentException("the load rate must be a number of changes a second, 0 or more (0: unlimited)");
        }

        if (Changes < 0)
        {
            throw new ArgumentException("the number of changes must be 0 (until stopped) or more");
        }

        if (MaxTreeDelete < 1)
        {
            throw new ArgumentException("the largest tree a churn deletes at once must hold 1 entry or more");
        }

        if (string.IsNullOrEmpty(Path) || Path[0] != '/' || Path.Trim('/').Length == 0)
        {
            throw new ArgumentException($"the load path must be an absolute directory other than the root, not '{Path}'");
        }
    }
}

/// <summary>
/// Where a load stands. <see cref="Changes"/> counts mutations applied, <see cref="Steps"/> the
/// workload's steps (a churn tree delete is one step of many changes), <see cref="Events"/> the
/// notifications those changes produced, <see cref="Counts"/> steps by kind.
/// </summary>
public sealed record LoadStatus(
    bool Running,
    LoadOptions? Options,
    long Changes,
    long Steps,
    long Events,
    TimeSpan Elapsed,
    IReadOnlyDictionary<string, long> Counts,
    string? Error)
{
    /// <summary>Changes per second over the run so far.</summary>
    public double ChangesPerSecond => Elapsed > TimeSpan.Zero ? Changes / Elapsed.TotalSeconds : 0;

    /// <summary>Nothing has run yet.</summary>
    public static LoadStatus Idle { get; } = new(false, null, 0, 0, 0, TimeSpan.Zero, new Dictionary<string, long>(), null);
}
