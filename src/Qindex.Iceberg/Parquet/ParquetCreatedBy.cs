using System.Reflection;

namespace Qindex.Iceberg.Parquet;

/// <summary>
/// The <c>created_by</c> string qindex writes in Parquet footers, in parquet-mr's form
/// <c>NAME version X (build Y)</c>. Spark, Trino and parquet-mr parse it to decide whether a
/// writer's string statistics can be trusted; a string they cannot parse makes them ignore
/// min/max for binary columns, and so lose path pruning.
/// </summary>
public static class ParquetCreatedBy
{
    /// <summary>For example <c>qindex version 1.0.0 (build 8ea251fef334)</c>; the build is the commit, or 0 when unknown.</summary>
    public static string Value { get; } = Build(typeof(ParquetCreatedBy).Assembly);

    internal static string Build(Assembly assembly)
    {
        string informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString(3)
            ?? "0.0.0";
        int plus = informational.IndexOf('+', StringComparison.Ordinal);
        string version = plus < 0 ? informational : informational[..plus];
        string build = plus < 0 ? "0" : informational[(plus + 1)..];
        if (build.Length == 0 || !build.All(char.IsAsciiLetterOrDigit))
        {
            build = "0";
        }

        return $"qindex version {version} (build {build[..Math.Min(12, build.Length)]})";
    }
}
