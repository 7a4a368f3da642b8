using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Qindex.Simulator.Tests;

/// <summary>
/// Checks JSON answers against the contract files in ../shared/qumulo-api: every property the
/// simulator sends must be declared there (or listed as observed), with the declared JSON type
/// and, for enums, a declared value.
/// </summary>
internal static class ContractShapes
{
    private static readonly Lazy<string> ApiDirectory = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "qindex.slnx")))
        {
            dir = dir.Parent;
        }

        var shared = Environment.GetEnvironmentVariable("QINDEX_SHARED")
            ?? Path.Combine(dir?.Parent?.FullName ?? throw new InvalidOperationException("repository root not found"), "shared");
        return Path.Combine(shared, "qumulo-api");
    });

    public static JsonElement ResponseSchema(string file, string method)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ApiDirectory.Value, file)));
        return doc.RootElement.GetProperty("methods").GetProperty(method).GetProperty("response_body").Clone();
    }

    /// <summary>Returns the violations (empty when the value conforms).</summary>
    public static List<string> Validate(JsonElement value, JsonElement schema, string at = "$", IReadOnlySet<string>? observedExtras = null)
    {
        var errors = new List<string>();
        var type = schema.GetProperty("type").GetString();
        switch (type)
        {
            case "object":
                if (value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{at}: expected object, got {value.ValueKind}");
                    break;
                }

                var properties = schema.TryGetProperty("properties", out var p) ? p : default;
                foreach (var property in value.EnumerateObject())
                {
                    if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var sub))
                    {
                        errors.AddRange(Validate(property.Value, sub, $"{at}.{property.Name}", observedExtras));
                    }
                    else if (observedExtras is null || !observedExtras.Contains(property.Name))
                    {
                        errors.Add($"{at}.{property.Name}: not in the contract");
                    }
                }

                break;
            case "array":
                if (value.ValueKind != JsonValueKind.Array)
                {
                    errors.Add($"{at}: expected array, got {value.ValueKind}");
                    break;
                }

                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    errors.AddRange(Validate(item, schema.GetProperty("items"), $"{at}[{i++}]", observedExtras));
                }

                break;
            case "string":
                if (value.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"{at}: expected string, got {value.ValueKind}");
                }
                else if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => v.GetString() == value.GetString()))
                {
                    errors.Add($"{at}: '{value.GetString()}' is not one of the contract's values");
                }

                break;
            case "number":
                if (value.ValueKind != JsonValueKind.Number)
                {
                    errors.Add($"{at}: expected number, got {value.ValueKind}");
                }

                break;
            case "boolean":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add($"{at}: expected boolean, got {value.ValueKind}");
                }

                break;
        }

        return errors;
    }
}

#pragma warning disable CA1001 // disposed in DisposeAsync, which xunit calls
public sealed class ConformanceTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private static readonly HashSet<string> Paging = ["paging"];
    private SimulatorServer _server = null!;
    private HttpClient _http = null!;
    private HttpClientHandler _handler = null!;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 2000, Seed = 3 });
        _handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) == _server.CertificateSha256,
        };
        _http = new HttpClient(_handler) { BaseAddress = _server.BaseAddress };
        using var login = await _http.PostAsJsonAsync("v1/session/login", new { username = "admin", password = "admin" });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("bearer_token").GetString();
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _handler.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<JsonElement> GetAsync(string url)
    {
        using var response = await _http.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"{url}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static void AssertConforms(JsonElement value, string file, string method, IReadOnlySet<string>? extras = null)
    {
        var errors = ContractShapes.Validate(value, ContractShapes.ResponseSchema(file, method), observedExtras: extras);
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));
    }

    [Fact]
    public async Task Listings_and_attributes_match_the_contract_for_every_object_type()
    {
        var root = await GetAsync("v1/files/%2F/entries/?limit=1000");
        AssertConforms(root, "files_ref_entries.json", "get", Paging);
        var types = new HashSet<string>();
        var queue = new Queue<string>([root.GetProperty("id").GetString()!]);
        while (queue.Count > 0 && types.Count < 7)
        {
            var page = await GetAsync($"v1/files/{queue.Dequeue()}/entries/?limit=1000");
            AssertConforms(page, "files_ref_entries.json", "get", Paging);
            foreach (var file in page.GetProperty("files").EnumerateArray())
            {
                types.Add(file.GetProperty("type").GetString()!);
                if (file.GetProperty("type").GetString() == "FS_FILE_TYPE_DIRECTORY")
                {
                    queue.Enqueue(file.GetProperty("id").GetString()!);
                    Assert.EndsWith("/", file.GetProperty("path").GetString(), StringComparison.Ordinal);
                }
            }
        }

        Assert.Contains("FS_FILE_TYPE_SYMLINK", types);
        var attributes = await GetAsync("v1/files/%2F/info/attributes");
        AssertConforms(attributes, "files_ref_info_attributes.json", "get");
        Assert.Equal("/", attributes.GetProperty("path").GetString());
        Assert.Matches("^[0-7]{4}$", attributes.GetProperty("mode").GetString()!);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", attributes.GetProperty("modification_time").GetString()!);
    }

    [Fact]
    public async Task Session_settings_aggregates_and_snapshots_match_the_contract()
    {
        AssertConforms(await GetAsync("v1/session/who-am-i"), "session_who-am-i.json", "get");
        AssertConforms(await GetAsync("v1/file-system/settings/notify"), "file-system_settings_notify.json", "get");
        AssertConforms(await GetAsync("v1/files/%2F/aggregates/"), "files_ref_aggregates.json", "get");

        using var created = await _http.PostAsJsonAsync("v2/snapshots/", new { source_file_id = "2", name = "s1" });
        var older = await created.Content.ReadFromJsonAsync<JsonElement>();
        AssertConforms(older, "v2_snapshots.json", "post");
        using var file = await _http.PostAsJsonAsync("v1/files/%2F/entries/", new { name = "new dir", action = "CREATE_DIRECTORY" });
        AssertConforms(await file.Content.ReadFromJsonAsync<JsonElement>(), "files_ref_entries.json", "post");
        using var created2 = await _http.PostAsJsonAsync("v2/snapshots/", new { source_file_id = "2", name = "s2" });
        var newer = await created2.Content.ReadFromJsonAsync<JsonElement>();
        AssertConforms(await GetAsync("v2/snapshots/"), "v2_snapshots.json", "get");
        AssertConforms(await GetAsync($"v2/snapshots/{newer.GetProperty("id")}"), "v2_snapshots_id.json", "get");

        var changes = await GetAsync($"v2/snapshots/{newer.GetProperty("id")}/changes-since/{older.GetProperty("id")}?limit=10");
        AssertConforms(changes, "v2_snapshots_changes-since.json", "get", Paging);
        var entries = changes.GetProperty("entries").EnumerateArray().Select(e => (e.GetProperty("op").GetString(), e.GetProperty("path").GetString())).ToList();
        Assert.Contains(("CREATE", "/new dir/"), entries);
    }

    [Fact]
    public async Task Paging_through_a_100k_entry_directory_returns_every_entry_exactly_once()
    {
        _server.Cluster.CreateDirectory("/", "huge");
        for (var i = 0; i < 100_000; i++)
        {
            _server.Cluster.CreateFile("/huge/", $"f{i:D6}");
        }

        var seen = new HashSet<string>();
        var pages = 0;
        string? next = "v1/files/%2Fhuge%2F/entries/?limit=1000";
        while (!string.IsNullOrEmpty(next))
        {
            var page = await GetAsync(next.TrimStart('/'));
            pages++;
            foreach (var file in page.GetProperty("files").EnumerateArray())
            {
                Assert.True(seen.Add(file.GetProperty("name").GetString()!), "an entry was listed twice");
            }

            next = page.GetProperty("paging").GetProperty("next").GetString();
        }

        Assert.Equal(100_000, seen.Count);
        Assert.Equal(100, pages);
    }

    [Fact]
    public async Task Errors_carry_qumulo_error_bodies_and_status_codes()
    {
        using var missing = await _http.GetAsync("v1/files/%2Fno%20such%20thing/info/attributes");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var body = await missing.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("fs_no_such_entry_error", body.GetProperty("error_class").GetString());
        Assert.True(body.TryGetProperty("module", out _) && body.TryGetProperty("description", out _) && body.TryGetProperty("user_visible", out _));

        using var first = await _http.PostAsJsonAsync("v1/files/%2F/entries/", new { name = "dup", action = "CREATE_FILE" });
        using var second = await _http.PostAsJsonAsync("v1/files/%2F/entries/", new { name = "dup", action = "CREATE_FILE" });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("fs_entry_exists_error", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error_class").GetString());

        using var anonymous = new HttpClient(_handler, disposeHandler: false) { BaseAddress = _server.BaseAddress };
        using var unauthorized = await anonymous.GetAsync("v1/session/who-am-i");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Fact]
    public async Task Disabled_ignore_serves_a_recursive_watch_as_non_recursive_and_disabled_error_refuses_it()
    {
        using var put = await _http.PutAsJsonAsync("v1/file-system/settings/notify", new { recursive_mode = "DISABLED_ERROR" });
        put.EnsureSuccessStatusCode();
        using var refused = await _http.GetAsync("v1/files/%2F/notify?recursive=true", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        using var ignore = await _http.PutAsJsonAsync("v1/file-system/settings/notify", new { recursive_mode = "DISABLED_IGNORE" });
        ignore.EnsureSuccessStatusCode();
        _server.Cluster.CreateDirectory("/", "sub");
        using var stream = await _http.GetAsync("v1/files/%2F/notify?recursive=true", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.StartsWith(":", await reader.ReadLineAsync());
        // Each create is read back before the next is made, so the two arrive as separate messages
        // whatever the machine's speed (read as one message only, the test failed when the stream
        // sent the first create's events before the second was made).
        var seen = new List<(string Type, string Path)>();
        _server.Cluster.CreateFile("/sub/", "deep");   // below the first level: only sub's mtime is seen without recursion
        await ReadNotificationsUntilAsync(reader, "sub", seen);
        _server.Cluster.CreateFile("/", "shallow");
        await ReadNotificationsUntilAsync(reader, "shallow", seen);

        Assert.Equal([("child_mtime_changed", "sub"), ("child_file_added", "shallow")], seen);
    }

    /// <summary>Reads <paramref name="reader"/>'s notify messages into <paramref name="into"/> until one names <paramref name="path"/>.</summary>
    private static async Task ReadNotificationsUntilAsync(StreamReader reader, string path, List<(string Type, string Path)> into)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException($"the notify stream ended before {path}");
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            int before = into.Count;
            using var message = JsonDocument.Parse(line["data: ".Length..]);
            into.AddRange(message.RootElement.EnumerateArray()
                .Select(n => (n.GetProperty("type").GetString()!, n.GetProperty("path").GetString()!)));
            if (into.Skip(before).Any(n => n.Path == path))
            {
                return;
            }
        }
    }

    [Fact]
    public async Task Injected_errors_and_dropped_streams_take_effect()
    {
        using var stream = await _http.GetAsync("v1/files/%2F/notify?recursive=true", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.StartsWith(":", await reader.ReadLineAsync());

        using (var drop = await _http.PostAsJsonAsync("__sim/faults/drop-streams", new { }))
        {
            drop.EnsureSuccessStatusCode();
        }

        string? line;
        do
        {
            line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        while (line is not null);

        using (var errors = await _http.PostAsJsonAsync("__sim/faults/errors", new { status = 429, fraction = 1.0, seconds = 30 }))
        {
            errors.EnsureSuccessStatusCode();
        }

        using var limited = await _http.GetAsync("v1/session/who-am-i");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        using (var clear = await _http.PostAsJsonAsync("__sim/faults/clear", new { }))
        {
            clear.EnsureSuccessStatusCode();
        }

        using var again = await _http.GetAsync("v1/session/who-am-i");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
