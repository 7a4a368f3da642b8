namespace Qindex.Index.Store;

/// <summary>
/// Where the last change set's commit spent its time, in seconds: finding the rows it touches,
/// building the rows and position deletes, writing the two files, the Iceberg commit (manifests,
/// metadata, catalog), and bringing the in-memory picture forward. For benchmarks and logs.
/// </summary>
public sealed record ChangeSetTimings(double Resolve, double Prepare, double WriteFiles, double Commit, double Apply);
