using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Qindex.Qumulo;

/// <summary>A snapshot as <c>/v2/snapshots/</c> describes it.</summary>
public sealed record SnapshotInfo(long Id, string Name, string? Timestamp, string? SourceFileId);

/// <summary>One entry of <c>changes-since</c>: CREATE, MODIFY or DELETE of an absolute path (directories end with '/').</summary>
public sealed record SnapshotChange(string Op, string Path);

/// <summary>
/// Async client of the Qumulo REST API. Retries 429 (honouring Retry-After), 503 and dropped
/// connections with exponential backoff and jitter; logs in again once on 401 when a password is
/// at hand. Listings and differences are streamed page by page, never held whole.
/// </summary>
public sealed partial class QumuloClient : IDisposable
{
    private readonly QumuloConnection _connection;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _loginGate = new(1, 1);
    private string? _token;

    public QumuloClient(QumuloConnection connection, int maxConnections = 16)
    {
        _connection = connection;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AutomaticDecompression = DecompressionMethods.All,
        };
        TlsPolicy.Configure(handler, connection);

        _http = new HttpClient(handler) { BaseAddress = connection.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        _token = connection.Password is null ? connection.BearerToken : null;
    }

    /// <summary>Requests sent, retries included (for progress and tests).</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Retries made after 429, 503 or a dropped connection.</summary>
    public long RetryCount => Interlocked.Read(ref _retries);

    private long _requests;
    private long _retries;

    /// <summary>Logs in with the connection's user and password and keeps the bearer token.</summary>
    public async Task LoginAsync(CancellationToken cancellationToken)
    {
        if (_connection.User is null || _connection.Password is null)
        {
            throw new InvalidOperationException("No user and password to log in with (give --user and --password, QINDEX_USER/QINDEX_PASSWORD, or log in with qq).");
        }

        using var response = await SendWithRetryAsync(
            () => new HttpRequestMessage(HttpMethod.Post, "v1/session/login")
            {
                Content = JsonContent.Create(new Dictionary<string, string> { ["username"] = _connection.User, ["password"] = _connection.Password }),
            },
            authenticated: false,
            cancellationToken).ConfigureAwait(false);
        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        _token = document.RootElement.TryGetProperty("bearer_token", out var token) ? token.GetString() : null;
        if (string.IsNullOrEmpty(_token))
        {
            throw new QumuloApiException("The login answer has no bearer_token.");
        }
    }

    public Task<JsonElement> WhoAmIAsync(CancellationToken cancellationToken) => GetJsonAsync("v1/session/who-am-i", cancellationToken);

    public Task<JsonElement> VersionAsync(CancellationToken cancellationToken) => GetJsonAsync("v1/version", cancellationToken);

    /// <summary>The attribute object of a file or directory (by id or absolute path), live or at a snapshot.</summary>
    public Task<JsonElement> GetAttributesAsync(string idOrPath, long? snapshot, CancellationToken cancellationToken) =>
        GetJsonAsync($"v1/files/{FileRefs.Encode(idOrPath)}/info/attributes{SnapshotQuery(snapshot, '?')}", cancellationToken);

    /// <summary>Aggregates of a directory; <paramref name="recursive"/> for the whole subtree's totals.</summary>
    public Task<JsonElement> GetAggregatesAsync(string idOrPath, bool recursive, long? snapshot, CancellationToken cancellationToken) =>
        GetJsonAsync($"v1/files/{FileRefs.Encode(idOrPath)}/{(recursive ? "recursive-aggregates" : "aggregates")}/{SnapshotQuery(snapshot, '?')}", cancellationToken);

    /// <summary>
    /// The pages of a directory listing, each a parsed document whose <c>files</c> array holds
    /// attribute objects. One page is in memory at a time; dispose each page when done.
    /// </summary>
    public async IAsyncEnumerable<JsonDocument> ListEntryPagesAsync(
        string idOrPath, long? snapshot, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? next = $"v1/files/{FileRefs.Encode(idOrPath)}/entries/?limit={pageSize}{SnapshotQuery(snapshot, '&')}";
        while (next is not null)
        {
            var url = next;
            using var response = await SendWithRetryAsync(() => new HttpRequestMessage(HttpMethod.Get, url), authenticated: true, cancellationToken).ConfigureAwait(false);
            var page = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
            next = NextPage(page.RootElement, snapshot);
            yield return page;
        }
    }

    /// <summary>Every attribute object in a directory, streamed page by page.</summary>
    public async IAsyncEnumerable<JsonElement> ListEntriesAsync(
        string idOrPath, long? snapshot, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in ListEntryPagesAsync(idOrPath, snapshot, pageSize, cancellationToken).ConfigureAwait(false))
        {
            using (page)
            {
                if (page.RootElement.TryGetProperty("files", out var files) && files.ValueKind == JsonValueKind.Array)
                {
                    foreach (var file in files.EnumerateArray())
                    {
                        yield return file.Clone();
                    }
                }
            }
        }
    }

    public async Task<SnapshotInfo> CreateSnapshotAsync(string sourceFileId, string name, CancellationToken cancellationToken)
    {
        using var response = await SendWithRetryAsync(
            () => new HttpRequestMessage(HttpMethod.Post, "v2/snapshots/")
            {
                Content = JsonContent.Create(new Dictionary<string, string> { ["source_file_id"] = sourceFileId, ["name"] = name }),
            },
            authenticated: true,
            cancellationToken,
            retryable: false).ConfigureAwait(false);
        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return ParseSnapshot(document.RootElement);
    }

    public async Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(CancellationToken cancellationToken)
    {
        var root = await GetJsonAsync("v2/snapshots/", cancellationToken).ConfigureAwait(false);
        return root.TryGetProperty("entries", out var entries) && entries.ValueKind == JsonValueKind.Array
            ? entries.EnumerateArray().Select(ParseSnapshot).ToList()
            : [];
    }

    public async Task DeleteSnapshotAsync(long id, CancellationToken cancellationToken)
    {
        using var response = await SendWithRetryAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"v2/snapshots/{id}"), authenticated: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The net differences between two snapshots, streamed page by page.</summary>
    public async IAsyncEnumerable<SnapshotChange> ChangesSinceAsync(
        long newer, long older, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? next = $"v2/snapshots/{newer}/changes-since/{older}?limit={pageSize}";
        while (next is not null)
        {
            var url = next;
            using var response = await SendWithRetryAsync(() => new HttpRequestMessage(HttpMethod.Get, url), authenticated: true, cancellationToken).ConfigureAwait(false);
            using var page = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
            if (page.RootElement.TryGetProperty("entries", out var entries) && entries.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in entries.EnumerateArray())
                {
                    yield return new SnapshotChange(
                        entry.GetProperty("op").GetString() ?? string.Empty,
                        entry.GetProperty("path").GetString() ?? string.Empty);
                }
            }

            next = NextPage(page.RootElement, null);
        }
    }

    /// <summary>The cluster's recursive notify mode: ENABLED, DISABLED_ERROR or DISABLED_IGNORE.</summary>
    public async Task<string> GetNotifyRecursiveModeAsync(CancellationToken cancellationToken)
    {
        var root = await GetJsonAsync("v1/file-system/settings/notify", cancellationToken).ConfigureAwait(false);
        return root.GetProperty("recursive_mode").GetString() ?? string.Empty;
    }

    /// <summary>
    /// Follows the notify stream of <paramref name="watchedPath"/> until it ends or is cancelled,
    /// yielding each payload's notifications with absolute paths. Comments (registration,
    /// keep-alives) are reported through <paramref name="onComment"/>. A malformed payload throws
    /// <see cref="NotifyPayloadException"/> with the payload.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<Notification>> NotifyAsync(
        string watchedPath,
        bool recursive,
        IReadOnlyCollection<string>? filter,
        Action<string>? onComment,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var url = $"v1/files/{FileRefs.Encode(watchedPath)}/notify?recursive={(recursive ? "true" : "false")}";
        if (filter is { Count: > 0 })
        {
            url += "&filter=" + Uri.EscapeDataString(string.Join(',', filter));
        }

        using var response = await SendWithRetryAsync(
            () => new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Accept = { new MediaTypeWithQualityHeaderValue("text/event-stream") } } },
            authenticated: true,
            cancellationToken,
            completion: HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var message in ServerSentEvents.ReadAsync(stream, _connection.MaxNotifyMessageBytes, cancellationToken).ConfigureAwait(false))
        {
            if (message.Comment is not null)
            {
                onComment?.Invoke(message.Comment);
                continue;
            }

            yield return Notification.ParsePayload(message.Data!, watchedPath);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _loginGate.Dispose();
    }

    private async Task<JsonElement> GetJsonAsync(string url, CancellationToken cancellationToken)
    {
        using var response = await SendWithRetryAsync(() => new HttpRequestMessage(HttpMethod.Get, url), authenticated: true, cancellationToken).ConfigureAwait(false);
        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return document.RootElement.Clone();
    }

    private async Task<HttpResponseMessage> SendWithRetryAsync(
        Func<HttpRequestMessage> createRequest,
        bool authenticated,
        CancellationToken cancellationToken,
        bool retryable = true,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        bool retryRefused = false)
    {
        var reloggedIn = false;
        for (var attempt = 1; ; attempt++)
        {
            if (authenticated && _token is null)
            {
                await EnsureLoggedInAsync(null, cancellationToken).ConfigureAwait(false);
            }

            using var request = createRequest();
            var tokenUsed = _token;
            if (authenticated && tokenUsed is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokenUsed);
            }

            HttpResponseMessage response;
            TimeSpan? retryAfter = null;
            Interlocked.Increment(ref _requests);
            try
            {
                response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (retryable && attempt < _connection.MaxAttempts && e.InnerException is not System.Security.Authentication.AuthenticationException)
            {
                await BackoffAsync(attempt, null, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (IOException) when (retryable && attempt < _connection.MaxAttempts)
            {
                await BackoffAsync(attempt, null, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && authenticated && !reloggedIn && _connection.Password is not null)
            {
                response.Dispose();
                reloggedIn = true;
                await EnsureLoggedInAsync(tokenUsed, cancellationToken).ConfigureAwait(false);
                attempt--;
                continue;
            }

            if ((response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                && (retryable || retryRefused) && attempt < _connection.MaxAttempts)
            {
                retryAfter = response.Headers.RetryAfter?.Delta;
                response.Dispose();
                await BackoffAsync(attempt, retryAfter, cancellationToken).ConfigureAwait(false);
                continue;
            }

            using (response)
            {
                throw await ToExceptionAsync(request, response, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task EnsureLoggedInAsync(string? staleToken, CancellationToken cancellationToken)
    {
        await _loginGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another request may already have replaced the stale token.
            if (_token is not null && _token != staleToken)
            {
                return;
            }

            await LoginAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _loginGate.Release();
        }
    }

    private async Task BackoffAsync(int attempt, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _retries);
        var exponential = _connection.InitialBackoff * Math.Pow(2, attempt - 1);
        var jittered = exponential * (0.5 + (Random.Shared.NextDouble() / 2));
        var delay = retryAfter is { } hint && hint > jittered ? hint : jittered;
        await Task.Delay(delay > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : delay, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<QumuloApiException> ToExceptionAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? errorClass = null;
        string? description = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                errorClass = document.RootElement.TryGetProperty("error_class", out var c) ? c.GetString() : null;
                description = document.RootElement.TryGetProperty("description", out var d) ? d.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Not a Qumulo error body (a proxy's page, say): the status alone describes it.
        }

        // The path may hold an id or an encoded path; never the token, which travels in a header.
        return new QumuloApiException(response.StatusCode, request.Method.Method, request.RequestUri?.OriginalString ?? "?", errorClass, description);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static string? NextPage(JsonElement root, long? snapshot)
    {
        if (!root.TryGetProperty("paging", out var paging) || paging.ValueKind != JsonValueKind.Object
            || !paging.TryGetProperty("next", out var next) || next.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var url = next.GetString();
        if (string.IsNullOrEmpty(url))
        {
            return null;
        }

        // paging.next is relative to the base URL (observed); keep the snapshot if the cluster dropped it.
        url = url.TrimStart('/');
        if (snapshot is { } id && !url.Contains("snapshot=", StringComparison.Ordinal))
        {
            url += (url.Contains('?', StringComparison.Ordinal) ? '&' : '?') + "snapshot=" + id;
        }

        return url;
    }

    private static string SnapshotQuery(long? snapshot, char separator) =>
        snapshot is { } id ? $"{separator}snapshot={id}" : string.Empty;

    private static SnapshotInfo ParseSnapshot(JsonElement element) => new(
        element.GetProperty("id") is { ValueKind: JsonValueKind.String } s ? long.Parse(s.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : element.GetProperty("id").GetInt64(),
        element.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : string.Empty,
        element.TryGetProperty("timestamp", out var t) ? t.GetString() : null,
        element.TryGetProperty("source_file_id", out var f) ? f.GetString() : null);
}
