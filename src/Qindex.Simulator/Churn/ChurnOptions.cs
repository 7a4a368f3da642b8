namespace Qindex.Simulator.Churn;

/// <summary>
/// What <see cref="ChurnWorkload"/> does: <see cref="Ops"/> steps under the absolute directory
/// <see cref="Path"/>, at most <see cref="Rate"/> steps a second (0: as fast as the cluster
/// answers), drawn from a random sequence fixed by <see cref="Seed"/>.
/// </summary>
public sealed record ChurnOptions
{
    public required string Path { get; init; }

    public int Ops { get; init; } = 1000;

    public double Rate { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Directories larger than this (entries, all levels) are not deleted whole; keeps one step bounded.</summary>
    public int MaxTreeDelete { get; init; } = 2000;
}

/// <summary>What a churn run did: steps by kind (see <see cref="ChurnWorkload.Kinds"/>), REST requests sent, time taken.</summary>
public sealed record ChurnResult(IReadOnlyDictionary<string, long> Counts, long Requests, TimeSpan Elapsed)
{
    public long Total => Counts.Values.Sum();
}
