using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Catalog;

/// <summary>How to reach a REST catalog: a bearer token (never logged) and TLS settings.</summary>
public sealed record RestCatalogOptions
{
    /// <summary>Bearer token sent with every request; from <c>QINDEX_CATALOG_TOKEN</c> by default.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Accept any server certificate. Off by default; only for test servers with self-signed certificates.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>Options from the environment: <c>QINDEX_CATALOG_TOKEN</c>.</summary>
    public static RestCatalogOptions FromEnvironment() => new() { Token = Environment.GetEnvironmentVariable("QINDEX_CATALOG_TOKEN") };

    public override string ToString() => $"RestCatalogOptions {{ Token = {(Token is null ? "none" : "(set)")}, Insecure = {Insecure} }}";
}

/// <summary>
/// A client of the Iceberg REST catalog protocol (the OpenAPI "Iceberg REST Catalog API"): load,
/// create, and commit tables by sending requirements and updates; the server writes the metadata.
/// </summary>
public sealed class RestCatalog : ICatalog
{
    private readonly HttpClient _http;
    private readonly string _prefix;

    private RestCatalog(HttpClient http, string prefix)
    {
        _http = http;
        _prefix = prefix;
    }

    public string Name => "rest";

    /// <summary>Connects: reads <c>/v1/config</c> for the path prefix the server wants.</summary>
    public static async Task<RestCatalog> OpenAsync(Uri baseUri, string? warehouse, RestCatalogOptions options, CancellationToken cancellationToken, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        ArgumentNullException.ThrowIfNull(options);
        if (handler is null)
        {
            var sockets = new SocketsHttpHandler();
            if (options.Insecure)
            {
                sockets.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            }

            handler = sockets;
        }

        var http = new HttpClient(handler) { BaseAddress = new Uri(baseUri.AbsoluteUri.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(100) };
        if (options.Token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        }

        try
        {
            string query = warehouse is null ? string.Empty : "?warehouse=" + Uri.EscapeDataString(warehouse);
            using var config = await SendAsync(http, HttpMethod.Get, "v1/config" + query, null, cancellationToken).ConfigureAwait(false);
            string prefix = string.Empty;
            foreach (string section in new[] { "defaults", "overrides" })
            {
                if (config.RootElement.TryGetProperty(section, out var props) && props.TryGetProperty("prefix", out var p) && p.GetString() is { Length: > 0 } value)
                {
                    prefix = value.Trim('/') + "/";
                }
            }

            return new RestCatalog(http, prefix);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    private string TablesPath(TableIdentifier id) => $"v1/{_prefix}namespaces/{Uri.EscapeDataString(id.Namespace)}/tables";

    private string TablePath(TableIdentifier id) => TablesPath(id) + "/" + Uri.EscapeDataString(id.Name);

    public async Task<LoadedTable?> LoadTableAsync(TableIdentifier identifier, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        try
        {
            using var doc = await SendAsync(_http, HttpMethod.Get, TablePath(identifier), null, cancellationToken).ConfigureAwait(false);
            return ParseLoaded(doc.RootElement);
        }
        catch (RestCatalogException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<LoadedTable> CreateTableAsync(TableIdentifier identifier, Schema schema, SortOrder sortOrder, IReadOnlyDictionary<string, string> properties, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(sortOrder);
        ArgumentNullException.ThrowIfNull(properties);
        try
        {
            using var ns = await SendAsync(_http, HttpMethod.Post, $"v1/{_prefix}namespaces", Json.WriteBytes(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("namespace");
                w.WriteStringValue(identifier.Namespace);
                w.WriteEndArray();
                w.WriteStartObject("properties");
                w.WriteEndObject();
                w.WriteEndObject();
            }), cancellationToken).ConfigureAwait(false);
        }
        catch (RestCatalogException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // The namespace exists already.
        }

        try
        {
            using var doc = await SendAsync(_http, HttpMethod.Post, TablesPath(identifier), Json.WriteBytes(w =>
            {
                w.WriteStartObject();
                w.WriteString("name", identifier.Name);
                w.WritePropertyName("schema");
                schema.WriteJson(w);
                w.WritePropertyName("write-order");
                sortOrder.WriteJson(w);
                Json.WriteStringMap(w, "properties", properties);
                w.WriteBoolean("stage-create", false);
                w.WriteEndObject();
            }), cancellationToken).ConfigureAwait(false);
            return ParseLoaded(doc.RootElement);
        }
        catch (RestCatalogException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return await LoadTableAsync(identifier, cancellationToken).ConfigureAwait(false)
                ?? throw new IcebergException($"table {identifier} exists but cannot be loaded", e);
        }
    }

    public async Task<LoadedTable> CommitAsync(TableIdentifier identifier, LoadedTable baseTable, IReadOnlyList<TableUpdate> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        ArgumentNullException.ThrowIfNull(baseTable);
        ArgumentNullException.ThrowIfNull(updates);
        var body = Json.WriteBytes(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("identifier");
            w.WriteStartArray("namespace");
            w.WriteStringValue(identifier.Namespace);
            w.WriteEndArray();
            w.WriteString("name", identifier.Name);
            w.WriteEndObject();
            TableRequirements.Of(baseTable.Metadata).WriteJson(w);
            w.WriteStartArray("updates");
            foreach (var update in updates)
            {
                update.WriteJson(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
        try
        {
            using var doc = await SendAsync(_http, HttpMethod.Post, TablePath(identifier), body, cancellationToken).ConfigureAwait(false);
            return ParseLoaded(doc.RootElement);
        }
        catch (RestCatalogException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            throw new CommitConflictException($"table {identifier}: {e.Message}", e);
        }
    }

    private static LoadedTable ParseLoaded(JsonElement root) =>
        new(TableMetadata.Parse(Encoding.UTF8.GetBytes(Json.Required(root, "metadata").GetRawText())), Json.String(root, "metadata-location"));

    private static async Task<JsonDocument> SendAsync(HttpClient http, HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // The address without its user information: a password in the URI is never printed.
            var address = http.BaseAddress is { } b ? b.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : "(none)";
            throw new IcebergException($"cannot reach the REST catalog at {address}: {e.Message}", e);
        }

        using (response)
        {
            byte[] content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string message = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                try
                {
                    using var error = JsonDocument.Parse(content);
                    if (error.RootElement.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m))
                    {
                        message = $"{(int)response.StatusCode}: {m.GetString()}";
                    }
                }
                catch (JsonException)
                {
                    // Not an ErrorModel body; the status line says enough.
                }

                throw new RestCatalogException(response.StatusCode, $"REST catalog {method} {path}: {message}");
            }

            return content.Length == 0 ? JsonDocument.Parse("{}") : JsonDocument.Parse(content);
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A REST catalog answered with an error status.</summary>
public sealed class RestCatalogException : IcebergException
{
    public RestCatalogException(HttpStatusCode statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    public RestCatalogException()
    {
    }

    public RestCatalogException(string message)
        : base(message)
    {
    }

    public RestCatalogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode StatusCode { get; }
}
