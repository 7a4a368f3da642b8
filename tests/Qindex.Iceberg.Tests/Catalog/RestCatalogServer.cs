using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Tests.Catalog;

/// <summary>
/// A small server of the Iceberg REST catalog protocol for tests: config, namespaces, create, load
/// and commit (requirements checked, updates applied), backed by a SQLite SQL catalog. It checks
/// the bearer token, so tests prove the client sends it.
/// </summary>
internal sealed class RestCatalogServer : IAsyncDisposable
{
    public const string Token = "test-token-not-a-secret";

    private readonly WebApplication _app;
    private readonly SqlCatalog _backing;

    private RestCatalogServer(WebApplication app, SqlCatalog backing)
    {
        _app = app;
        _backing = backing;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public int Commits;

    public int Conflicts;

    public static async Task<RestCatalogServer> StartAsync(string directory)
    {
        var backing = await SqlCatalog.OpenSqliteAsync(Path.Combine(directory, "rest-catalog.db"), new Uri(Path.Combine(directory, "rest-warehouse")).AbsoluteUri, CancellationToken.None);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new RestCatalogServer(app, backing);
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
            {
                await Error(context, 401, "NotAuthorizedException", "missing or wrong bearer token");
                return;
            }

            await next(context);
        });
        app.MapGet("/v1/config", () => Results.Text("""{"defaults": {}, "overrides": {"prefix": "cat1"}}""", "application/json"));
        app.MapPost("/v1/{prefix}/namespaces", () => Results.Text("""{"namespace": ["qindex"], "properties": {}}""", "application/json"));
        app.MapPost("/v1/{prefix}/namespaces/{ns}/tables", async (string ns, HttpContext context) =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var id = new TableIdentifier(ns, body.RootElement.GetProperty("name").GetString()!);
            if (await backing.LoadTableAsync(id, context.RequestAborted) is not null)
            {
                await Error(context, 409, "AlreadyExistsException", $"table {id} exists");
                return;
            }

            var schema = Schema.Parse(body.RootElement.GetProperty("schema"));
            var order = SortOrder.Parse(body.RootElement.GetProperty("write-order"));
            var properties = body.RootElement.GetProperty("properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            await Loaded(context, await backing.CreateTableAsync(id, schema, order, properties, context.RequestAborted));
        });
        app.MapGet("/v1/{prefix}/namespaces/{ns}/tables/{table}", async (string ns, string table, HttpContext context) =>
        {
            var loaded = await backing.LoadTableAsync(new TableIdentifier(ns, table), context.RequestAborted);
            if (loaded is null)
            {
                await Error(context, 404, "NoSuchTableException", $"no table {ns}.{table}");
                return;
            }

            await Loaded(context, loaded);
        });
        app.MapPost("/v1/{prefix}/namespaces/{ns}/tables/{table}", async (string ns, string table, HttpContext context) =>
        {
            var id = new TableIdentifier(ns, table);
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var current = await backing.LoadTableAsync(id, context.RequestAborted);
            if (current is null)
            {
                await Error(context, 404, "NoSuchTableException", $"no table {id}");
                return;
            }

            try
            {
                TableRequirements.Parse(body.RootElement.GetProperty("requirements"), current.Metadata).Check(current.Metadata);
                var updates = body.RootElement.GetProperty("updates").EnumerateArray().Select(TableUpdates.Parse).ToList();
                var committed = await backing.CommitAsync(id, current, updates, context.RequestAborted);
                Interlocked.Increment(ref server.Commits);
                await Loaded(context, committed);
            }
            catch (CommitConflictException e)
            {
                Interlocked.Increment(ref server.Conflicts);
                await Error(context, 409, "CommitFailedException", e.Message);
            }
        });
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Urls.First());
        return server;
    }

    private static Task Loaded(HttpContext context, LoadedTable loaded)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("metadata-location", loaded.MetadataLocation);
            w.WritePropertyName("metadata");
            loaded.Metadata.WriteJson(w);
            w.WriteStartObject("config");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        var body = Encoding.UTF8.GetString(buffer.WrittenSpan);
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body);
    }

    private static Task Error(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { message, type, code = status } }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _backing.DisposeAsync();
    }
}
