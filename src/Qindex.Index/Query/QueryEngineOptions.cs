namespace Qindex.Index.Query;

/// <summary>
/// What the SQL run by a <see cref="QueryEngine"/> may touch. Extensions are never installed or
/// loaded on demand, whatever the options. With <see cref="ReadOnly"/>, external access is turned
/// off once the view <c>files</c> is set up and the configuration is locked: the SQL can read the
/// index's data files and nothing else, and write only <see cref="WritablePaths"/>, so
/// <c>COPY ... TO</c>, <c>read_csv('/etc/passwd')</c> and <c>ATTACH</c> are refused.
/// </summary>
public sealed record QueryEngineOptions
{
    /// <summary>Trusted local SQL: the engine may read and write any file the user can (the CLI's default).</summary>
    public static QueryEngineOptions Trusted { get; } = new();

    /// <summary>Turn off external access after the view is set up (for SQL from a less trusted source, and services).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Files the SQL may still write when <see cref="ReadOnly"/> (the CLI's own <c>--out</c>).</summary>
    public IReadOnlyList<string> WritablePaths { get; init; } = [];
}
