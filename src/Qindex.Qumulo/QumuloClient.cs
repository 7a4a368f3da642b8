using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Qindex.Qumulo.Retry;

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
    private readonly RequestRetryPolicy _retryPolicy;
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
        _retryPolicy = new RequestRetryPolicy(connection, () => Interlocked.Increment(ref _retries));
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

        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, "v1/session/login")
            {
                Content = JsonContent.Create(new Dictionary<string, string> { ["username"] = _connection.User, ["password"] = _connection.Password }),
            },
            authenticated: false,
            RetryOn.RefusalsAndDroppedConnections,
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

    /// <summary>
    /// As <see cref="GetAttributesAsync"/>, but null when the cluster answers 404 (no such entry):
    /// a watcher reads thousands of entries a batch that are already gone, and an exception for
    /// each would cost more than the request.
    /// </summary>
    public async Task<JsonElement?> TryGetAttributesAsync(string idOrPath, long? snapshot, CancellationToken cancellationToken)
    {
        var url = $"v1/files/{FileRefs.Encode(idOrPath)}/info/attributes{SnapshotQuery(snapshot, '?')}";
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), authenticated: true, RetryOn.RefusalsAndDroppedConnections, cancellationToken, acceptNotFound: true).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return document.RootElement.Clone();
    }

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
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), authenticated: true, RetryOn.RefusalsAndDroppedConnections, cancellationToken).ConfigureAwait(false);
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
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, "v2/snapshots/")
            {
                Content = JsonContent.Create(new Dictionary<string, string> { ["source_file_id"] = sourceFileId, ["name"] = name }),
            },
            authenticated: true,
            RetryOn.Refusals,
            cancellationToken).ConfigureAwait(false);
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
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"v2/snapshots/{id}"), authenticated: true, RetryOn.RefusalsAndDroppedConnections, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The net differences between two snapshots, streamed page by page.</summary>
    public async IAsyncEnumerable<SnapshotChange> ChangesSinceAsync(
        long newer, long older, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? next = $"v2/snapshots/{newer}/changes-since/{older}?limit={pageSize}";
        while (next is not null)
        {
            var url = next;
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), authenticated: true, RetryOn.RefusalsAndDroppedConnections, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Sets the cluster's recursive notify mode (needs PRIVILEGE_FS_SETTINGS_WRITE); for tests and operators.</summary>
    public async Task SetNotifyRecursiveModeAsync(string mode, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(mode);
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Put, "v1/file-system/settings/notify")
            {
                Content = JsonContent.Create(new Dictionary<string, string> { ["recursive_mode"] = mode }),
            },
            authenticated: true,
            RetryOn.RefusalsAndDroppedConnections,
            cancellationToken).ConfigureAwait(false);
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
        var url = NotifyUrl(watchedPath, recursive, filter);
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Accept = { new MediaTypeWithQualityHeaderValue("text/event-stream") } } },
            authenticated: true,
            RetryOn.RefusalsAndDroppedConnections,
            cancellationToken,
            HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var message in ServerSentEvents.ReadAsync(stream, _connection.MaxNotifyMessageBytes, cancellationToken).ConfigureAwait(false))
        {
            if (message.Comment is not null)
            {
                onComment?.Invoke(message.Comment);
                continue;
            }

            yield return Notification.ParsePayload(message.DataUtf8!, watchedPath);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _loginGate.Dispose();
    }

    private async Task<JsonElement> GetJsonAsync(string url, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), authenticated: true, RetryOn.RefusalsAndDroppedConnections, cancellationToken).ConfigureAwait(false);
        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return document.RootElement.Clone();
    }

    private async Task<HttpResponseMessage> SendAsync(
        Func<HttpRequestMessage> createRequest,
        bool authenticated,
        RetryOn retryOn,
        CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        bool acceptNotFound = false)
    {
        var attempts = new RequestAttempts(retryOn);
        var reloggedIn = false;
        string method = "?", target = "?";

        async Task<HttpResponseMessage> SendOnceAsync(CancellationToken token)
        {
            while (true)
            {
                if (authenticated && _token is null)
                {
                    await EnsureLoggedInAsync(null, token).ConfigureAwait(false);
                }

                var request = createRequest();
                (method, target) = (request.Method.Method, Target(request));
                var tokenUsed = _token;
                if (authenticated && tokenUsed is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokenUsed);
                }

                Interlocked.Increment(ref _requests);
                var response = await _http.SendAsync(request, completion, token).ConfigureAwait(false);

                // An expired token is not a failure to back off from: log in again once, at once.
                if (response.StatusCode == HttpStatusCode.Unauthorized && authenticated && !reloggedIn && _connection.Password is not null)
                {
                    response.Dispose();
                    reloggedIn = true;
                    await EnsureLoggedInAsync(tokenUsed, token).ConfigureAwait(false);
                    continue;
                }

                return response;
            }
        }

        HttpResponseMessage last;
        try
        {
            last = await _retryPolicy.SendAsync(SendOnceAsync, attempts, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (RequestRetryPolicy.IsDroppedConnection(e) && !cancellationToken.IsCancellationRequested)
        {
            var why = retryOn == RetryOn.RefusalsAndDroppedConnections
                ? attempts.Describe()
                : "not retried, since the cluster may have acted on it before the connection dropped";
            throw new QumuloApiException($"{method} {target}: the connection failed ({e.Message}); {why}.", e);
        }

        if (last.IsSuccessStatusCode || (acceptNotFound && last.StatusCode == HttpStatusCode.NotFound))
        {
            return last;
        }

        using (last)
        {
            var retried = RequestRetryPolicy.IsRefusal(last.StatusCode) ? attempts.Describe() : null;
            throw await ToExceptionAsync(last, retried, cancellationToken).ConfigureAwait(false);
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

    private async Task<QumuloApiException> ToExceptionAsync(HttpResponseMessage response, string? retried, CancellationToken cancellationToken)
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
        var request = response.RequestMessage;
        return new QumuloApiException(
            response.StatusCode, request?.Method.Method ?? "?", Target(request), errorClass, description,
            Hint(response.StatusCode, request, errorClass), retried);
    }

    /// <summary>What a refusal means for the user, in words; null when the status says it all.</summary>
    private string? Hint(HttpStatusCode status, HttpRequestMessage? request, string? errorClass)
    {
        var path = Target(request);
        return status switch
        {
            HttpStatusCode.Unauthorized when path.Contains("session/login", StringComparison.Ordinal) =>
                $"the cluster refused the credentials of user '{_connection.User}' (wrong user name or password{(errorClass is null ? string.Empty : ", " + errorClass)})",
            HttpStatusCode.Unauthorized when _connection.Password is null =>
                "the cluster refused the bearer token (invalid or expired) and no password is at hand to log in again; log in again with qq or give --user and --password",
            HttpStatusCode.Unauthorized => "the cluster refused the session even after a fresh login",
            _ when errorClass == "fs_recursive_notify_disabled_error" =>
                "the cluster refuses recursive change notification (its recursive notify mode is DISABLED_ERROR); an administrator can set it to ENABLED",
            HttpStatusCode.Forbidden =>
                $"user '{_connection.User ?? "(token)"}' lacks the privilege this call needs: {Privileges.RequiredFor(request?.Method.Method ?? "GET", path)}",
            _ => null,
        };
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The request's path and query as sent (ids or encoded paths; never the token, which travels in a header).</summary>
    private static string Target(HttpRequestMessage? request) => request?.RequestUri switch
    {
        null => "?",
        { IsAbsoluteUri: true } uri => uri.PathAndQuery,
        var uri => "/" + uri.OriginalString,
    };

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
