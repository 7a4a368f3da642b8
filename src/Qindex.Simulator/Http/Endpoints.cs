using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Qindex.Simulator.Load;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Http;

/// <summary>
/// The REST surface, in one place, reading like QUMULO_API.md. Routing is done on the raw
/// request target so a <c>{ref}</c> holding an encoded path (<c>%2F</c>) stays one segment.
/// </summary>
internal sealed class Endpoints
{
    private static readonly string[] AdminPrivileges = ["PRIVILEGE_FS_ATTRIBUTES_READ", "PRIVILEGE_FILE_FULL_ACCESS", "PRIVILEGE_SNAPSHOT_READ", "PRIVILEGE_SNAPSHOT_WRITE", "PRIVILEGE_SNAPSHOT_DIFFERENCE_READ", "PRIVILEGE_FS_SETTINGS_READ", "PRIVILEGE_FS_SETTINGS_WRITE"];
    private static readonly string[] ReaderPrivileges = ["PRIVILEGE_FS_ATTRIBUTES_READ", "PRIVILEGE_FILE_READ_ACCESS"];

    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] MessageEnd = "\n\n"u8.ToArray();

    private readonly ClusterModel _cluster;
    private readonly Sessions _sessions;
    private readonly Faults _faults;
    private readonly SimulatedLoad _load;
    private readonly SimulatorOptions _options;
    private volatile string _recursiveMode = "ENABLED";

    public Endpoints(ClusterModel cluster, Sessions sessions, Faults faults, SimulatedLoad load, SimulatorOptions options)
    {
        _cluster = cluster;
        _sessions = sessions;
        _faults = faults;
        _load = load;
        _options = options;
    }

    /// <summary>Serves one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var pathPart = raw.Split('?', 2)[0];
        var segments = pathPart.Trim('/').Split('/');
        var method = context.Request.Method;
        try
        {
            if (segments[0] == "__sim")
            {
                await AdminAsync(context, segments);
                return;
            }

            if (_faults.Latency is { } latency && latency > TimeSpan.Zero)
            {
                await Task.Delay(latency, context.RequestAborted);
            }

            if (!_faults.TryTakeToken(out var retryAfter))
            {
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await ErrorAsync(context, 429, "http", "http_too_many_requests_error", "rate limit exceeded (the simulator's rate-limit fault)");
                return;
            }

            if (_faults.DrawError() is { } status)
            {
                if (status == 429)
                {
                    context.Response.Headers.RetryAfter = "1";
                }

                await ErrorAsync(context, status, "http", status == 429 ? "http_too_many_requests_error" : "http_service_unavailable_error", "injected by the simulator's fault API");
                return;
            }

            if (Is(segments, "v1", "session", "login") && method == "POST")
            {
                await LoginAsync(context);
                return;
            }

            var user = _sessions.Authenticate(context.Request.Headers.Authorization);
            if (user is null)
            {
                await ErrorAsync(context, 401, "qfsd", "http_unauthorized_error", "missing, invalid or expired bearer token");
                return;
            }

            if (WriteAccess.Refusal(user, method, segments) is { } refusal)
            {
                throw refusal;
            }

            await RouteAsync(context, method, segments, user);
        }
        catch (ClusterException e)
        {
            await ErrorAsync(context, e.StatusCode, e.Module, e.ErrorClass, e.Description);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException or OverflowException)
        {
            await ErrorAsync(context, 400, "http", "http_bad_request_error", e.Message);
        }
    }

    private Task RouteAsync(HttpContext c, string method, string[] s, SimUser user)
    {
        var q = c.Request.Query;
        long? snapshot = q.TryGetValue("snapshot", out var snap) ? long.Parse(snap!, CultureInfo.InvariantCulture) : null;
        return (method, s) switch
        {
            ("GET", ["v1", "session", "who-am-i"]) => WhoAmIAsync(c, user),
            ("GET", ["v1", "version"]) => JsonAsync(c, w =>
            {
                w.WriteStartObject();
                w.WriteString("revision_id", "Qumulo Core 7.2.0 (qindex simulator)");
                w.WriteString("build_id", "qindex-sim");
                w.WriteString("flavor", "release");
                w.WriteEndObject();
            }),
            ("GET", ["v1", "files", var r, "info", "attributes"]) => JsonAsync(c, w => ApiJson.WriteAttributes(w, _cluster.GetAttributes(Ref(r), snapshot))),
            ("PATCH", ["v1", "files", var r, "info", "attributes"]) => PatchAttributesAsync(c, Ref(r)),
            ("GET", ["v1", "files", var r, "entries", ..]) => EntriesAsync(c, Ref(r), snapshot),
            ("POST", ["v1", "files", var r, "entries", ..]) => CreateEntryAsync(c, Ref(r)),
            ("GET", ["v1", "files", var r, "aggregates", ..]) => JsonAsync(c, w => ApiJson.WriteAggregates(w, _cluster.GetAggregates(Ref(r), snapshot))),
            ("GET", ["v1", "files", var r, "recursive-aggregates", ..]) => JsonAsync(c, w => ApiJson.WriteAggregates(w, _cluster.GetAggregates(Ref(r), snapshot))),
            ("PUT", ["v1", "files", var r, "data"]) => ReplaceDataAsync(c, Ref(r)),
            ("PATCH", ["v1", "files", var r, "data"]) => WriteDataAsync(c, Ref(r)),
            ("DELETE", ["v1", "files", var r]) => DeleteAsync(c, Ref(r)),
            ("GET", ["v1", "files", var r, "streams"]) => JsonAsync(c, w => ApiJson.WriteStreams(w, _cluster.ListStreams(Ref(r), snapshot))),
            ("POST", ["v1", "files", var r, "streams"]) => CreateStreamAsync(c, Ref(r)),
            ("DELETE", ["v1", "files", var r, "streams", var id]) => EmptyAsync(c, () => _cluster.DeleteStream(Ref(r), Ref(id))),
            ("PUT", ["v1", "files", var r, "streams", var id, "data"]) => ReplaceStreamDataAsync(c, Ref(r), Ref(id)),
            ("PATCH", ["v1", "files", var r, "streams", var id, "data"]) => WriteStreamAsync(c, Ref(r), Ref(id)),
            ("GET", ["v1", "files", var r, "notify"]) => NotifyAsync(c, Ref(r), user),
            ("POST", ["v1", "files", "resolve"]) => ResolveAsync(c, snapshot),
            ("GET", ["v1", "file-system", "settings", "notify"]) => NotifySettingsAsync(c),
            ("PUT", ["v1", "file-system", "settings", "notify"]) => PutNotifySettingsAsync(c),
            ("POST", ["v2", "snapshots", ..]) when s.Length <= 3 && (s.Length == 2 || s[2].Length == 0) => CreateSnapshotAsync(c),
            ("GET", ["v2", "snapshots", ..]) when s.Length == 2 || (s.Length == 3 && s[2].Length == 0) => JsonAsync(c, w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("entries");
                foreach (var info in _cluster.ListSnapshots())
                {
                    ApiJson.WriteSnapshot(w, info);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }),
            ("GET", ["v2", "snapshots", var id]) => JsonAsync(c, w => ApiJson.WriteSnapshot(w, _cluster.GetSnapshot(SnapshotId(id)))),
            ("DELETE", ["v2", "snapshots", var id]) => EmptyAsync(c, () => _cluster.DeleteSnapshot(SnapshotId(id))),
            ("GET", ["v2", "snapshots", var newer, "changes-since", var older]) => ChangesSinceAsync(c, SnapshotId(newer), SnapshotId(older)),
            _ => ErrorAsync(c, 404, "http", "http_not_found_error", $"no endpoint {method} /{string.Join('/', s)}"),
        };
    }

    private async Task LoginAsync(HttpContext c)
    {
        using var body = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
        var token = _sessions.Login(Text(body.RootElement, "username"), Text(body.RootElement, "password"));
        if (token is null)
        {
            await ErrorAsync(c, 401, "qfsd", "auth_login_failed_error", "invalid user name or password");
            return;
        }

        await JsonAsync(c, w =>
        {
            w.WriteStartObject();
            w.WriteString("bearer_token", token);
            w.WriteEndObject();
        });
    }

    private Task WhoAmIAsync(HttpContext c, SimUser user) => JsonAsync(c, w =>
    {
        w.WriteStartObject();
        w.WriteString("id", user.Id);
        w.WriteString("name", user.Name);
        w.WriteString("primary_group", "513");
        w.WriteString("sid", "S-1-5-21-1000-1000-1000-" + user.Id);
        w.WriteString("uid", user.Id);
        w.WriteString("home_directory", "/");
        w.WriteBoolean("can_change_password", true);
        w.WriteStartArray("privileges");
        foreach (var privilege in user.DataAdministrator ? AdminPrivileges : ReaderPrivileges)
        {
            if (!user.Snapshots && privilege.StartsWith("PRIVILEGE_SNAPSHOT_", StringComparison.Ordinal))
            {
                continue;
            }

            w.WriteStringValue(privilege);
        }

        w.WriteEndArray();
        w.WriteString("access_token_id", string.Empty);
        w.WriteEndObject();
    });

    private Task EntriesAsync(HttpContext c, string reference, long? snapshot)
    {
        var q = c.Request.Query;
        var limit = q.TryGetValue("limit", out var l) ? int.Parse(l!, CultureInfo.InvariantCulture) : 1000;
        if (limit < 1)
        {
            throw new ClusterException(400, "http", "http_bad_request_error", "limit must be at least 1");
        }

        var page = _cluster.ListEntries(reference, limit, q.TryGetValue("after", out var a) ? a.ToString() : null, snapshot);
        return JsonAsync(c, w =>
        {
            w.WriteStartObject();
            w.WriteString("path", page.Path);
            w.WriteString("id", ApiNames.FormatNumber(page.Id));
            w.WriteNumber("child_count", page.ChildCount);
            w.WriteStartArray("files");
            foreach (var f in page.Files)
            {
                ApiJson.WriteAttributes(w, f);
            }

            w.WriteEndArray();
            w.WriteStartObject("paging");
            var snapshotPart = snapshot is { } id ? "&snapshot=" + id.ToString(CultureInfo.InvariantCulture) : string.Empty;
            w.WriteString("next", page.Next is null ? string.Empty : $"/v1/files/{page.Id}/entries/?after={Uri.EscapeDataString(page.Next)}&limit={limit}{snapshotPart}");
            w.WriteString("prev", string.Empty);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private async Task CreateEntryAsync(HttpContext c, string parent)
    {
        using var body = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
        var r = body.RootElement;
        var name = Text(r, "name") ?? throw new ClusterException(400, "http", "http_bad_request_error", "'name' is required");
        var action = Text(r, "action") ?? throw new ClusterException(400, "http", "http_bad_request_error", "'action' is required");
        var oldPath = Text(r, "old_path");
        string Need(string? value, string field) => value ?? throw new ClusterException(400, "http", "http_bad_request_error", $"'{field}' is required for {action}");
        var created = action switch
        {
            "CREATE_FILE" => _cluster.CreateFile(parent, name),
            "CREATE_DIRECTORY" => _cluster.CreateDirectory(parent, name),
            "CREATE_SYMLINK" => _cluster.CreateSymlink(parent, name, Need(oldPath, "old_path"),
                Text(r, "symlink_target_type") is { } t ? ApiNames.ParseSymlinkTargetType(t) : SymlinkTargetType.Unknown),
            "CREATE_LINK" => _cluster.CreateLink(parent, name, Need(oldPath, "old_path")),
            "CREATE_UNIX_FILE" => _cluster.CreateUnixFile(parent, name, ApiNames.ParseFileType(Need(Text(r, "unix_file_type"), "unix_file_type")),
                r.TryGetProperty("major_minor_numbers", out var mm)
                    ? new MajorMinorNumbers(mm.GetProperty("major").GetInt32(), mm.GetProperty("minor").GetInt32())
                    : null),
            "RENAME" => _cluster.Rename(parent, name, Need(oldPath, "old_path"), r.TryGetProperty("clobber", out var cl) && cl.GetBoolean()),
            _ => throw new ClusterException(400, "http", "http_bad_request_error", $"unknown action '{action}'"),
        };
        await JsonAsync(c, w => ApiJson.WriteAttributes(w, created));
    }

    private async Task ReplaceDataAsync(HttpContext c, string reference)
    {
        var size = await DrainAsync(c);
        var attributes = _cluster.ReplaceData(reference, size);
        await JsonAsync(c, w => ApiJson.WriteAttributes(w, attributes));
    }

    private async Task WriteDataAsync(HttpContext c, string reference)
    {
        var offset = Offset(c);
        var length = await DrainAsync(c);
        var attributes = _cluster.WriteData(reference, offset, length);
        await JsonAsync(c, w => ApiJson.WriteAttributes(w, attributes));
    }

    private async Task PatchAttributesAsync(HttpContext c, string reference)
    {
        using var body = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
        var attributes = _cluster.PatchAttributes(reference, AttributePatchJson.Read(body.RootElement));
        await JsonAsync(c, w => ApiJson.WriteAttributes(w, attributes));
    }

    private async Task CreateStreamAsync(HttpContext c, string reference)
    {
        using var body = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
        var name = Text(body.RootElement, "stream_name") ?? throw ClusterException.BadRequest("'stream_name' is required");
        var created = _cluster.CreateStream(reference, name);
        await JsonAsync(c, w => ApiJson.WriteStream(w, created));
    }

    private async Task ReplaceStreamDataAsync(HttpContext c, string reference, string stream)
    {
        var size = await DrainAsync(c);
        var written = _cluster.ReplaceStreamData(reference, stream, size);
        await JsonAsync(c, w => ApiJson.WriteStream(w, written));
    }

    private async Task WriteStreamAsync(HttpContext c, string reference, string stream)
    {
        var offset = Offset(c);
        var length = await DrainAsync(c);
        var written = _cluster.WriteStream(reference, stream, offset, length);
        await JsonAsync(c, w => ApiJson.WriteStream(w, written));
    }

    private Task DeleteAsync(HttpContext c, string reference) => EmptyAsync(c, () => _cluster.Delete(reference));

    private async Task ResolveAsync(HttpContext c, long? snapshot)
    {
        using var body = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
        var ids = body.RootElement.EnumerateArray().Select(e => long.Parse(e.GetString()!, CultureInfo.InvariantCulture)).ToList();
        var resolved = ids.Select(id => _cluster.ResolveId(id, snapshot)).ToList();
        await JsonAsync(c, w =>
        {
            w.WriteStartArray();
            foreach (var r in resolved)
            {
                w.WriteStartObject();
                w.WriteString("id", ApiNames.FormatNumber(r.Id));
                w.WriteString("path", r.Path);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private Task NotifySettingsAsync(HttpContext c) => JsonAsync(c, w =>
    {
        w.WriteStartObject();
        w.WriteString("recursive_mode", _recursiveMode);
        w.WriteEndObject();
    });

    private async Task PutNotifySettingsAsync(HttpContext c)
    {
        using var body = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
        var mode = Text(body.RootElement, "recursive_mode");
        if (mode is not ("ENABLED" or "DISABLED_ERROR" or "DISABLED_IGNORE"))
        {
            throw new ClusterException(400, "http", "http_bad_request_error", "recursive_mode must be ENABLED, DISABLED_ERROR or DISABLED_IGNORE");
        }

        _recursiveMode = mode;
        await NotifySettingsAsync(c);
    }

    private async Task CreateSnapshotAsync(HttpContext c)
    {
        using var body = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
        var source = Text(body.RootElement, "source_file_id") is { } s ? long.Parse(s, CultureInfo.InvariantCulture) : 2;
        var info = _cluster.CreateSnapshot(source, Text(body.RootElement, "name"), Text(body.RootElement, "expiration"));
        await JsonAsync(c, w => ApiJson.WriteSnapshot(w, info));
    }

    private Task ChangesSinceAsync(HttpContext c, long newer, long older)
    {
        var q = c.Request.Query;
        var limit = q.TryGetValue("limit", out var l) ? int.Parse(l!, CultureInfo.InvariantCulture) : 1000;
        var page = _cluster.ChangesSince(newer, older, q.TryGetValue("after", out var a) ? a.ToString() : null, limit);
        return JsonAsync(c, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("entries");
            foreach (var e in page.Entries)
            {
                w.WriteStartObject();
                w.WriteString("op", e.OpName);
                w.WriteString("path", e.Path);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("paging");
            w.WriteString("next", page.Next is null ? string.Empty : $"/v2/snapshots/{newer}/changes-since/{older}?after={Uri.EscapeDataString(page.Next)}&limit={limit}");
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// The notify stream: a comment on registration, keep-alive comments, and every pending
    /// notification batched into one <c>data:</c> message. Ends on self_removed, on a dropped
    /// stream (fault), when the watch overflows, or when the client goes away.
    /// </summary>
    private async Task NotifyAsync(HttpContext c, string reference, SimUser user)
    {
        var q = c.Request.Query;
        var recursive = q.TryGetValue("recursive", out var rec) && rec.ToString() == "true";
        if (recursive && _recursiveMode == "DISABLED_ERROR")
        {
            throw new ClusterException(400, "fs", "fs_recursive_notify_disabled_error", "recursive change notification is disabled on this cluster");
        }

        if (recursive && !user.DataAdministrator)
        {
            throw new ClusterException(403, "qfsd", "http_forbidden_error", "recursive change notification needs the DATA_ADMINISTRATOR role");
        }

        recursive &= _recursiveMode == "ENABLED";
        var filter = q.TryGetValue("filter", out var f) ? f.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries) : null;
        using var subscription = _cluster.Subscribe(reference, recursive, filter, _options.WatchCapacity);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted, _faults.StreamsToken);
        var token = linked.Token;
        c.Response.StatusCode = 200;
        c.Response.ContentType = "text/event-stream";
        c.Response.Headers.CacheControl = "no-cache";
        await WriteTextAsync(c, ": watch registered\n\n", token);
        var keepAlive = TimeSpan.FromSeconds(_options.KeepAliveSeconds);
        var batch = new List<Notification>();
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (_faults.StreamsStalled)
                {
                    await Task.Delay(100, token);
                    continue;
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
                wait.CancelAfter(keepAlive);
                bool more;
                try
                {
                    more = await subscription.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    await WriteTextAsync(c, ": keep-alive\n\n", token);
                    continue;
                }

                if (!more)
                {
                    return;
                }

                if (_faults.StreamsStalled)
                {
                    // A stall that began while this stream waited holds what is pending, so it all arrives in one burst after.
                    continue;
                }

                batch.Clear();
                while (batch.Count < _options.MaxEventsPerMessage && subscription.Reader.TryRead(out var n))
                {
                    batch.Add(n);
                }

                buffer.ResetWrittenCount();
                using (var w = new Utf8JsonWriter(buffer))
                {
                    w.WriteStartArray();
                    foreach (var n in batch)
                    {
                        ApiJson.WriteNotification(w, n);
                    }

                    w.WriteEndArray();
                }

                await c.Response.Body.WriteAsync(DataPrefix, token);
                await c.Response.Body.WriteAsync(buffer.WrittenMemory, token);
                await c.Response.Body.WriteAsync(MessageEnd, token);
                await c.Response.Body.FlushAsync(token);
                if (batch.Any(n => n.Type == "self_removed"))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Client gone or stream dropped on purpose: the response just ends.
        }
        catch (Exception e) when (e is ChannelClosedException or WatchOverflowException)
        {
            // The watch overflowed (the reader completes with WatchOverflowException): a real cluster
            // drops the stream; the response ends and the client must reconnect and catch up.
        }
    }

    private async Task AdminAsync(HttpContext c, string[] s)
    {
        if (c.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            await ErrorAsync(c, 403, "sim", "sim_admin_loopback_only", "the fault API answers loopback clients only");
            return;
        }

        JsonElement body = default;
        if (c.Request.ContentLength is > 0 || c.Request.Headers.TransferEncoding.Count > 0)
        {
            using var doc = await JsonDocument.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted);
            body = doc.RootElement.Clone();
        }

        double Num(string name, double fallback) =>
            body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

        switch (s)
        {
            case ["__sim", "faults", "drop-streams"]:
                _faults.DropStreams();
                break;
            case ["__sim", "faults", "expire-tokens"]:
                _sessions.ExpireAll();
                break;
            case ["__sim", "faults", "errors"]:
                var status = (int)Num("status", 503);
                if (status is not (429 or 503))
                {
                    await ErrorAsync(c, 400, "sim", "sim_bad_fault", "status must be 429 or 503");
                    return;
                }

                _faults.SetErrors(status, Math.Clamp(Num("fraction", 1), 0, 1), Num("seconds", 10));
                break;
            case ["__sim", "faults", "rate-limit"]:
                var rps = Num("rps", 0);
                if (!(rps > 0) || !(Num("seconds", 10) > 0))
                {
                    await ErrorAsync(c, 400, "sim", "sim_bad_fault", "rate-limit needs rps > 0 and seconds > 0");
                    return;
                }

                _faults.SetRateLimit(rps, Num("seconds", 10));
                break;
            case ["__sim", "faults", "latency"]:
                _faults.SetLatency((int)Num("ms", 100), Num("seconds", 10));
                break;
            case ["__sim", "faults", "stall-streams"]:
                _faults.StallStreams(Num("seconds", 10));
                break;
            case ["__sim", "faults", "clear"]:
                _faults.Clear();
                break;
            case ["__sim", "load", var action]:
                await LoadAdminAsync(c, action, body);
                return;
            default:
                await ErrorAsync(c, 404, "sim", "sim_no_such_fault", "known faults: drop-streams, expire-tokens, errors, rate-limit, latency, stall-streams, clear");
                return;
        }

        await JsonAsync(c, w =>
        {
            w.WriteStartObject();
            w.WriteString("fault", s[^1]);
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// <c>POST /__sim/load/start</c> with <c>{"shape": "churn"|"unpack", "rate": R, "changes": N, "seed": S,
    /// "path": DIR, "max_tree_delete": M}</c>, <c>/stop</c>, <c>/status</c> (GET too) and <c>/wait</c> with <c>{"seconds": T}</c>;
    /// each answers with the load's status.
    /// </summary>
    private async Task LoadAdminAsync(HttpContext c, string action, JsonElement body)
    {
        double Num(string name, double fallback) =>
            body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

        LoadStatus status;
        switch (action)
        {
            case "start":
                var shapeName = Text(body, "shape") ?? "churn";
                if (!Enum.TryParse<LoadShape>(shapeName, ignoreCase: true, out var shape) || !Enum.IsDefined(shape) || char.IsDigit(shapeName[0]))
                {
                    await ErrorAsync(c, 400, "sim", "sim_bad_load", "shape must be churn or unpack");
                    return;
                }

                try
                {
                    status = _load.Start(new LoadOptions
                    {
                        Shape = shape,
                        Rate = Num("rate", 0),
                        Changes = (long)Num("changes", 0),
                        Seed = (int)Num("seed", 1),
                        Path = Text(body, "path") ?? LoadOptions.DefaultPath,
                        MaxTreeDelete = (int)Math.Clamp(Num("max_tree_delete", new LoadOptions().MaxTreeDelete), int.MinValue, int.MaxValue),
                    });
                }
                catch (InvalidOperationException e)
                {
                    await ErrorAsync(c, 409, "sim", "sim_load_running", e.Message);
                    return;
                }
                catch (ArgumentException e)
                {
                    await ErrorAsync(c, 400, "sim", "sim_bad_load", e.Message);
                    return;
                }

                break;
            case "stop":
                status = await _load.StopAsync();
                break;
            case "status":
                status = _load.Status;
                break;
            case "wait":
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted))
                {
                    timeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(Num("seconds", 60), 0, 3600)));
                    try
                    {
                        status = await _load.WaitAsync(timeout.Token);
                    }
                    catch (OperationCanceledException) when (!c.RequestAborted.IsCancellationRequested)
                    {
                        status = _load.Status;
                    }
                }

                break;
            default:
                await ErrorAsync(c, 404, "sim", "sim_no_such_load_action", "load actions: start, stop, status, wait");
                return;
        }

        await JsonAsync(c, w => ApiJson.WriteLoadStatus(w, status));
    }

    private static async Task<long> DrainAsync(HttpContext c)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await c.Request.Body.ReadAsync(buffer, c.RequestAborted)) > 0)
            {
                total += read;
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task EmptyAsync(HttpContext c, Action action)
    {
        action();
        c.Response.StatusCode = 200;
        await c.Response.CompleteAsync();
    }

    private static async Task JsonAsync(HttpContext c, Action<Utf8JsonWriter> write, int status = 200)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json; charset=utf-8";
        c.Response.ContentLength = buffer.WrittenCount;
        await c.Response.Body.WriteAsync(buffer.WrittenMemory, c.RequestAborted);
    }

    private static Task ErrorAsync(HttpContext c, int status, string module, string errorClass, string description)
    {
        if (c.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        return JsonAsync(c, w => ApiJson.WriteError(w, module, errorClass, description), status);
    }

    private static async Task WriteTextAsync(HttpContext c, string text, CancellationToken token)
    {
        await c.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), token);
        await c.Response.Body.FlushAsync(token);
    }

    private static long Offset(HttpContext c) =>
        !c.Request.Query.TryGetValue("offset", out var o) ? 0
        : long.TryParse(o.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset
        : throw ClusterException.BadRequest("offset must be a non-negative decimal number");

    private static string Ref(string segment) => Uri.UnescapeDataString(segment);

    private static long SnapshotId(string segment) =>
        long.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new ClusterException(400, "http", "http_bad_request_error", $"'{segment}' is not a snapshot id");

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Is(string[] segments, params string[] expected) =>
        segments.Length >= expected.Length && expected.Select((e, i) => segments[i] == e).All(x => x)
        && (segments.Length == expected.Length || (segments.Length == expected.Length + 1 && segments[^1].Length == 0));
}
