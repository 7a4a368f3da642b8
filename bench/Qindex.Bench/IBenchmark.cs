namespace Qindex.Bench;

/// <summary>
/// One benchmark, runnable as <c>dotnet run -c Release --project bench/Qindex.Bench -- NAME [options]</c>.
/// It prints a Markdown table (with the command that produced it) to standard output.
/// Implementations are discovered by reflection, one file each.
/// </summary>
public interface IBenchmark
{
    /// <summary>The name used on the command line.</summary>
    string Name { get; }

    /// <summary>One line saying what is measured.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark with the remaining command-line arguments.</summary>
    Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
}
