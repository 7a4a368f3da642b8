namespace Qindex.Simulator.Generation;

/// <summary>
/// Inputs of a generated tree. <see cref="ObjectCount"/> counts the root and every directory entry
/// (a hard-linked file counts once per link, as a crawler sees it); the generated tree has exactly
/// that many. The same (seed, count) always gives the same tree.
/// </summary>
public sealed record GeneratedTreeOptions(long Seed, long ObjectCount)
{
    /// <summary>Minimum object count once large directories (100k+ entries) are generated.</summary>
    public const long LargeDirectoryThreshold = 1_000_000;

    /// <summary>Deepest directory level; files sit at most one level below (depth 30).</summary>
    public const int MaxDirectoryDepth = 29;
}
