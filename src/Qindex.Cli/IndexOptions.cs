using System.CommandLine;
using Qindex.Index.Store;

namespace Qindex.Cli;

/// <summary>
/// The options that say where an index lives, shared by every verb that reads or writes one:
/// <c>--index DIR</c>, and optionally <c>--catalog-uri</c> and <c>--warehouse</c>. Only crawl,
/// import and watch create an index (<see cref="BeginCreate"/>); the other verbs open an existing
/// one (<see cref="OpenExistingAsync"/>) and say "no index at DIR" when there is none.
/// </summary>
internal sealed class IndexOptions
{
    public Option<string> Index { get; } = new Option<string>("--index")
    {
        Description = "Index directory (holds the SQLite catalog and, by default, the warehouse).",
        Required = true,
    }.IsDirectory();

    public Option<string?> CatalogUri { get; } = new Option<string?>("--catalog-uri")
    {
        Description = "External catalog: postgresql://user@host/db or https://rest-catalog (default: SQLite in --index).",
    }.IsCatalogUri();

    public Option<string?> Warehouse { get; } = new("--warehouse")
    {
        Description = "Warehouse location: a local directory or s3://bucket/prefix (default: --index/warehouse).",
    };

    /// <summary>
    /// <c>--changes-retention</c>, for the commands that run the index's housekeeping
    /// (<c>watch</c> and <c>compact</c>): how long the <c>changes</c> table keeps its rows.
    /// </summary>
    public static Option<string> ChangesRetention() => new Option<string>("--changes-retention")
    {
        Description = "How long the changes table keeps its rows (e.g. 7d, 12h, 30d); older ones are removed by housekeeping.",
        DefaultValueFactory = _ => $"{IcebergIndexStore.DefaultChangesRetention.TotalDays:0}d",
    }.IsDuration("7d, 12h or 30d");

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Index);
        command.Options.Add(CatalogUri);
        command.Options.Add(Warehouse);
    }

    /// <summary>The index location the parsed options name.</summary>
    public IndexLocation Location(ParseResult parse) =>
        new(parse.GetValue(Index)!, parse.GetValue(CatalogUri), parse.GetValue(Warehouse));

    /// <summary>Opens the existing index the options name; never creates one.</summary>
    /// <exception cref="IndexStoreException">"no index at DIR", or the index cannot be opened.</exception>
    public Task<IIndexStore> OpenExistingAsync(ParseResult parse, CancellationToken cancellationToken) =>
        IndexStoreFactory.OpenExistingAsync(Location(parse), cancellationToken);

    /// <summary>Starts a verb that may create the index; see <see cref="IndexCreation"/>.</summary>
    public IndexCreation BeginCreate(ParseResult parse) => new(Location(parse));
}
