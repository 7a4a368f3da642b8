using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Qindex.Simulator.Tests.Http;

/// <summary>
/// Every mutation over HTTP, watched by a recursive notify stream on <c>/w</c> read with a plain
/// HttpClient: the events must be exactly those of docs/simulator-event-model.md. After each
/// mutation a marker file is created in <c>/w</c>; everything before the marker's event belongs
/// to the mutation, so missing, extra and reordered events all fail.
/// </summary>
#pragma warning disable CA1001 // disposed in DisposeAsync, which xunit calls
public sealed class MutationEventTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private SimulatorServer _server = null!;
    private HttpClientHandler _handler = null!;
    private HttpClient _http = null!;
    private int _markers;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1 });
        _handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) == _server.CertificateSha256,
        };
        _http = new HttpClient(_handler) { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var login = await _http.PostAsJsonAsync("v1/session/login", new { username = "admin", password = "admin" });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("bearer_token").GetString();
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        var model = _server.Cluster;
        model.CreateDirectory("/", "w");
        model.CreateDirectory("/w/", "a");
        model.CreateDirectory("/w/", "b");
        model.CreateDirectory("/", "outside");
        model.CreateFile("/w/a/", "f");
        model.CreateFile("/w/b/", "g");
        model.CreateDirectory("/w/a/", "empty");
        model.CreateFile("/outside/", "o");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _handler.Dispose();
        await _server.DisposeAsync();
    }

    private static (string, string, string?) E(string type, string path, string? stream = null) => (type, path, stream);

    [Fact]
    public async Task Create_file_emits_file_added_then_parent_mtime()
    {
        var events = await EventsOfAsync(() => CreateAsync("/w/a/", new { name = "new file", action = "CREATE_FILE" }));
        Assert.Equal([E("child_file_added", "a/new file"), E("child_mtime_changed", "a")], events);
    }

    [Fact]
    public async Task Create_directory_emits_dir_added_then_parent_mtime()
    {
        var events = await EventsOfAsync(() => CreateAsync("/w/a/", new { name = "d", action = "CREATE_DIRECTORY" }));
        Assert.Equal([E("child_dir_added", "a/d"), E("child_mtime_changed", "a")], events);
    }

    [Fact]
    public async Task Create_symlink_emits_file_added_then_parent_mtime()
    {
        var events = await EventsOfAsync(() => CreateAsync("/w/b/", new { name = "s", action = "CREATE_SYMLINK", old_path = "../a/f" }));
        Assert.Equal([E("child_file_added", "b/s"), E("child_mtime_changed", "b")], events);
    }

    [Fact]
    public async Task Create_link_emits_file_added_for_the_new_name_then_its_parent_mtime()
    {
        var events = await EventsOfAsync(() => CreateAsync("/w/b/", new { name = "l", action = "CREATE_LINK", old_path = "/w/a/f" }));
        Assert.Equal([E("child_file_added", "b/l"), E("child_mtime_changed", "b")], events);
        Assert.Equal(2, (await GetAsync("v1/files/%2Fw%2Fa%2Ff/info/attributes")).GetProperty("num_links").GetInt32());
    }

    [Fact]
    public async Task Rename_within_a_directory_emits_moved_from_moved_to_and_one_mtime()
    {
        var events = await EventsOfAsync(() => CreateAsync("/w/a/", new { name = "renamed", action = "RENAME", old_path = "/w/a/f" }));
        Assert.Equal([E("child_file_moved_from", "a/f"), E("child_file_moved_to", "a/renamed"), E("child_mtime_changed", "a")], events);
    }

    [Fact]
    public async Task Rename_across_directories_emits_both_parents_mtimes()
    {
        var events = await EventsOfAsync(() => CreateAsync("/w/b/", new { name = "f", action = "RENAME", old_path = "/w/a/f" }));
        Assert.Equal(
            [E("child_file_moved_from", "a/f"), E("child_file_moved_to", "b/f"), E("child_mtime_changed", "a"), E("child_mtime_changed", "b")],
            events);
    }

    [Fact]
    public async Task Rename_of_a_directory_emits_one_pair_and_nothing_for_its_contents()
    {
        // The parent is the watched directory itself, whose own mtime event goes to its ancestors' watchers only.
        var events = await EventsOfAsync(() => CreateAsync("/w/", new { name = "c", action = "RENAME", old_path = "/w/a" }));
        Assert.Equal([E("child_dir_moved_from", "a"), E("child_dir_moved_to", "c")], events);
    }

    [Fact]
    public async Task Move_out_of_the_watched_tree_emits_only_moved_from_and_the_old_parent_mtime()
    {
        var events = await EventsOfAsync(() => CreateAsync("/outside/", new { name = "f", action = "RENAME", old_path = "/w/a/f" }));
        Assert.Equal([E("child_file_moved_from", "a/f"), E("child_mtime_changed", "a")], events);
    }

    [Fact]
    public async Task Move_into_the_watched_tree_emits_only_moved_to_and_the_new_parent_mtime()
    {
        var events = await EventsOfAsync(() => CreateAsync("/w/b/", new { name = "o", action = "RENAME", old_path = "/outside/o" }));
        Assert.Equal([E("child_file_moved_to", "b/o"), E("child_mtime_changed", "b")], events);
    }

    [Fact]
    public async Task Move_of_a_directory_into_the_watched_tree_emits_nothing_for_its_contents()
    {
        _server.Cluster.CreateDirectory("/outside/", "tree");
        _server.Cluster.CreateFile("/outside/tree/", "inner");
        var events = await EventsOfAsync(() => CreateAsync("/w/b/", new { name = "tree", action = "RENAME", old_path = "/outside/tree" }));
        Assert.Equal([E("child_dir_moved_to", "b/tree"), E("child_mtime_changed", "b")], events);
    }

    [Fact]
    public async Task Rename_with_clobber_emits_the_removal_of_the_replaced_entry_first()
    {
        var events = await EventsOfAsync(() => CreateAsync("/w/b/", new { name = "g", action = "RENAME", old_path = "/w/a/f", clobber = true }));
        Assert.Equal(
            [
                E("child_file_removed", "b/g"), E("child_file_moved_from", "a/f"), E("child_file_moved_to", "b/g"),
                E("child_mtime_changed", "a"), E("child_mtime_changed", "b"),
            ],
            events);
    }

    [Fact]
    public async Task Rename_without_clobber_over_an_existing_entry_is_refused_and_emits_nothing()
    {
        var events = await EventsOfAsync(async () =>
        {
            using var response = await _http.PostAsJsonAsync("v1/files/%2Fw%2Fb%2F/entries/", new { name = "g", action = "RENAME", old_path = "/w/a/f" });
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        });
        Assert.Empty(events);
    }

    [Fact]
    public async Task Write_at_an_offset_emits_data_written_size_changed_and_mtime_and_no_size_event_when_the_size_stays()
    {
        var grow = await EventsOfAsync(() => SendBytesAsync(HttpMethod.Patch, "v1/files/%2Fw%2Fa%2Ff/data?offset=100", 10));
        Assert.Equal([E("child_data_written", "a/f"), E("child_size_changed", "a/f"), E("child_mtime_changed", "a/f")], grow);
        Assert.Equal("110", (await GetAsync("v1/files/%2Fw%2Fa%2Ff/info/attributes")).GetProperty("size").GetString());

        var inPlace = await EventsOfAsync(() => SendBytesAsync(HttpMethod.Patch, "v1/files/%2Fw%2Fa%2Ff/data?offset=0", 10));
        Assert.Equal([E("child_data_written", "a/f"), E("child_mtime_changed", "a/f")], inPlace);
    }

    [Fact]
    public async Task Replace_data_emits_the_same_events_as_a_write()
    {
        var events = await EventsOfAsync(() => SendBytesAsync(HttpMethod.Put, "v1/files/%2Fw%2Fa%2Ff/data", 5));
        Assert.Equal([E("child_data_written", "a/f"), E("child_size_changed", "a/f"), E("child_mtime_changed", "a/f")], events);
        Assert.Equal("5", (await GetAsync("v1/files/%2Fw%2Fa%2Ff/info/attributes")).GetProperty("size").GetString());
    }

    [Fact]
    public async Task Delete_of_a_file_emits_file_removed_then_parent_mtime()
    {
        var events = await EventsOfAsync(() => DeleteAsync("v1/files/%2Fw%2Fa%2Ff"));
        Assert.Equal([E("child_file_removed", "a/f"), E("child_mtime_changed", "a")], events);
    }

    [Fact]
    public async Task Delete_of_an_empty_directory_emits_dir_removed_then_parent_mtime()
    {
        var events = await EventsOfAsync(() => DeleteAsync("v1/files/%2Fw%2Fa%2Fempty%2F"));
        Assert.Equal([E("child_dir_removed", "a/empty"), E("child_mtime_changed", "a")], events);
    }

    [Fact]
    public async Task Delete_of_one_name_of_a_hard_linked_file_emits_file_removed_for_that_name_only()
    {
        _server.Cluster.CreateLink("/w/b/", "second name", "/w/a/f");
        var events = await EventsOfAsync(() => DeleteAsync("v1/files/%2Fw%2Fb%2Fsecond%20name"));
        Assert.Equal([E("child_file_removed", "b/second name"), E("child_mtime_changed", "b")], events);
        Assert.Equal(1, (await GetAsync("v1/files/%2Fw%2Fa%2Ff/info/attributes")).GetProperty("num_links").GetInt32());
    }

    [Fact]
    public async Task Patching_a_directory_names_it_without_a_trailing_slash()
    {
        var events = await EventsOfAsync(() => PatchAttributesAsync("/w/a/", """{"mode": "0700", "owner": "99"}"""));
        Assert.Equal([E("child_owner_changed", "a"), E("child_acl_changed", "a")], events);
    }

    public static TheoryData<string, string, string[]> AttributeKinds() => new()
    {
        { "mode", """{"mode": "0600"}""", ["child_acl_changed"] },
        { "owner", """{"owner": "1234"}""", ["child_owner_changed"] },
        { "group", """{"group": "4321"}""", ["child_group_changed"] },
        { "owner_details", """{"owner_details": {"id_type": "NFS_UID", "id_value": "1001"}}""", ["child_owner_changed"] },
        { "group_details", """{"group_details": {"id_type": "NFS_GID", "id_value": "1002"}}""", ["child_group_changed"] },
        { "size", """{"size": "4096"}""", ["child_size_changed"] },
        { "size unchanged", """{"size": "0"}""", [] },
        { "access_time", """{"access_time": "2021-02-03T04:05:06.123456789Z"}""", ["child_atime_changed"] },
        { "modification_time", """{"modification_time": "2021-02-03T04:05:06.123456789Z"}""", ["child_mtime_changed"] },
        { "creation_time", """{"creation_time": "2021-02-03T04:05:06.123456789Z"}""", ["child_btime_changed"] },
        { "change_time", """{"change_time": "2021-02-03T04:05:06.123456789Z"}""", [] },
        { "extended_attributes", """{"extended_attributes": {"hidden": true}}""", ["child_extra_attrs_changed"] },
        {
            "all at once",
            """
            {"extended_attributes": {"archive": true}, "creation_time": "2020-01-01T00:00:00Z", "modification_time": "2020-01-01T00:00:00Z",
             "access_time": "2020-01-01T00:00:00Z", "size": "7", "mode": "0640", "group": "77", "owner": "66", "change_time": "2020-01-01T00:00:00Z"}
            """,
            [
                "child_owner_changed", "child_group_changed", "child_acl_changed", "child_size_changed", "child_atime_changed",
                "child_mtime_changed", "child_btime_changed", "child_extra_attrs_changed",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(AttributeKinds))]
    public async Task Patching_attributes_emits_one_event_per_field_in_the_documented_order(string kind, string body, string[] expected)
    {
        JsonElement answer = default;
        var events = await EventsOfAsync(async () => answer = await PatchAttributesAsync("/w/a/f", body));
        Assert.True(expected.Select(t => E(t, "a/f")).SequenceEqual(events), $"{kind}: got {string.Join(", ", events)}");
        Assert.Equal("/w/a/f", answer.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Patched_attributes_are_answered_and_read_back_with_nanoseconds()
    {
        var answer = await PatchAttributesAsync(
            "/w/a/f",
            """{"mode": "0600", "owner_details": {"id_type": "NFS_UID", "id_value": "1001"}, "creation_time": "2021-02-03T04:05:06.123456789Z", "extended_attributes": {"hidden": true}}""");
        var read = await GetAsync("v1/files/%2Fw%2Fa%2Ff/info/attributes");
        foreach (var value in new[] { answer, read })
        {
            Assert.Equal("0600", value.GetProperty("mode").GetString());
            Assert.Equal("NFS_UID", value.GetProperty("owner_details").GetProperty("id_type").GetString());
            Assert.Equal("1001", value.GetProperty("owner_details").GetProperty("id_value").GetString());
            Assert.Equal("2021-02-03T04:05:06.123456789Z", value.GetProperty("creation_time").GetString());
            Assert.True(value.GetProperty("extended_attributes").GetProperty("hidden").GetBoolean());
            Assert.False(value.GetProperty("extended_attributes").GetProperty("archive").GetBoolean());
        }
    }

    [Fact]
    public async Task Extended_attribute_flags_left_out_of_a_patch_keep_their_values()
    {
        await PatchAttributesAsync("/w/a/f", """{"extended_attributes": {"archive": true, "system": true}}""");
        var answer = await PatchAttributesAsync("/w/a/f", """{"extended_attributes": {"hidden": true, "system": false}}""");
        var flags = answer.GetProperty("extended_attributes");
        Assert.True(flags.GetProperty("archive").GetBoolean());
        Assert.True(flags.GetProperty("hidden").GetBoolean());
        Assert.False(flags.GetProperty("system").GetBoolean());
        Assert.False(flags.GetProperty("read_only").GetBoolean());
    }

    [Fact]
    public async Task The_patch_attributes_answer_matches_the_contract()
    {
        var file = await PatchAttributesAsync("/w/a/f", """{"mode": "0600", "size": "12"}""");
        var errors = ContractShapes.Validate(file, ContractShapes.ResponseSchema("files_ref_info_attributes.json", "patch"));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var directory = await PatchAttributesAsync("/w/a/", """{"extended_attributes": {"read_only": true}}""");
        errors = ContractShapes.Validate(directory, ContractShapes.ResponseSchema("files_ref_info_attributes.json", "patch"));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(2, directory.GetProperty("child_count").GetInt32());
    }

    [Theory]
    [InlineData("""{"mode": "rw-r--r--"}""")]
    [InlineData("""{"mode": 644}""")]
    [InlineData("""{"owner": "alice"}""")]
    [InlineData("""{"size": "-1"}""")]
    [InlineData("""{"access_time": "yesterday"}""")]
    [InlineData("""{"creation_time": "2021-02-03T04:05:06.1234567891Z"}""")]
    [InlineData("""{"owner_details": {"id_type": "NFS_UID"}}""")]
    [InlineData("""{"group_details": {"id_type": "PIRATE", "id_value": "1"}}""")]
    [InlineData("""{"extended_attributes": {"hidden": "yes"}}""")]
    [InlineData("""{"extended_attributes": {"invisible": true}}""")]
    [InlineData("""{"colour": "blue"}""")]
    [InlineData("""["mode"]""")]
    public async Task Bad_attribute_values_answer_400_with_an_error_body_and_change_nothing(string body)
    {
        var before = await GetAsync("v1/files/%2Fw%2Fa%2Ff/info/attributes");
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.PatchAsync("v1/files/%2Fw%2Fa%2Ff/info/attributes", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("http_bad_request_error", error.GetProperty("error_class").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("description").GetString()));
        Assert.True(error.GetProperty("user_visible").GetBoolean());
        var after = await GetAsync("v1/files/%2Fw%2Fa%2Ff/info/attributes");
        Assert.Equal(before.GetProperty("change_time").GetString(), after.GetProperty("change_time").GetString());
    }

    [Fact]
    public async Task Size_on_a_directory_is_refused()
    {
        using var content = new StringContent("""{"size": "1"}""", Encoding.UTF8, "application/json");
        using var response = await _http.PatchAsync("v1/files/%2Fw%2Fa%2F/info/attributes", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("fs_invalid_argument_error", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error_class").GetString());
    }

    [Fact]
    public async Task Named_stream_create_write_replace_and_delete_emit_stream_events_with_the_stream_name()
    {
        const string name = "Zone.Identifier \"x\" 100%";
        JsonElement created = default;
        var added = await EventsOfAsync(async () =>
        {
            using var response = await _http.PostAsJsonAsync("v1/files/%2Fw%2Fa%2Ff/streams/", new { stream_name = name });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            created = await response.Content.ReadFromJsonAsync<JsonElement>();
        });
        Assert.Equal([E("child_stream_added", "a/f", name)], added);
        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal("0", created.GetProperty("size").GetString());
        var id = created.GetProperty("id").GetString()!;

        JsonElement written = default;
        var write = await EventsOfAsync(async () => written = await SendBytesAsync(HttpMethod.Patch, $"v1/files/%2Fw%2Fa%2Ff/streams/{id}/data?offset=3", 4));
        Assert.Equal([E("child_stream_data_written", "a/f", name), E("child_stream_size_changed", "a/f", name)], write);
        Assert.Equal("7", written.GetProperty("size").GetString());

        var replaceSameSize = await EventsOfAsync(() => SendBytesAsync(HttpMethod.Put, $"v1/files/%2Fw%2Fa%2Ff/streams/{id}/data", 7));
        Assert.Equal([E("child_stream_data_written", "a/f", name)], replaceSameSize);

        var replaceByName = await EventsOfAsync(() => SendBytesAsync(HttpMethod.Put, $"v1/files/%2Fw%2Fa%2Ff/streams/{Uri.EscapeDataString(name)}/data", 2));
        Assert.Equal([E("child_stream_data_written", "a/f", name), E("child_stream_size_changed", "a/f", name)], replaceByName);

        var listed = await GetAsync("v1/files/%2Fw%2Fa%2Ff/streams/");
        var only = Assert.Single(listed.EnumerateArray());
        Assert.Equal((id, name, "2"), (only.GetProperty("id").GetString(), only.GetProperty("name").GetString(), only.GetProperty("size").GetString()));

        var removed = await EventsOfAsync(() => DeleteAsync($"v1/files/%2Fw%2Fa%2Ff/streams/{id}"));
        Assert.Equal([E("child_stream_removed", "a/f", name)], removed);
        Assert.Empty((await GetAsync("v1/files/%2Fw%2Fa%2Ff/streams/")).EnumerateArray());
    }

    [Fact]
    public async Task Stream_errors_answer_with_qumulo_error_bodies()
    {
        using var unknown = await _http.DeleteAsync("v1/files/%2Fw%2Fa%2Ff/streams/99");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("fs_no_such_entry_error", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error_class").GetString());

        using var first = await _http.PostAsJsonAsync("v1/files/%2Fw%2Fa%2Ff/streams/", new { stream_name = "s" });
        first.EnsureSuccessStatusCode();
        using var again = await _http.PostAsJsonAsync("v1/files/%2Fw%2Fa%2Ff/streams/", new { stream_name = "s" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        using var onDirectory = await _http.PostAsJsonAsync("v1/files/%2Fw%2Fa%2F/streams/", new { stream_name = "s" });
        Assert.Equal(HttpStatusCode.BadRequest, onDirectory.StatusCode);

        using var badOffset = new ByteArrayContent(new byte[1]);
        using var negative = await _http.PatchAsync("v1/files/%2Fw%2Fa%2Ff/streams/s/data?offset=-1", badOffset);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Runs <paramref name="mutation"/> under a fresh recursive watch of /w and returns its events, in order.</summary>
    private async Task<List<(string Type, string Path, string? Stream)>> EventsOfAsync(Func<Task> mutation)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await _http.GetAsync("v1/files/%2Fw/notify?recursive=true", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        Assert.Equal(": watch registered", await reader.ReadLineAsync(timeout.Token));

        await mutation();
        var marker = $"marker {++_markers}";
        await CreateAsync("/w/", new { name = marker, action = "CREATE_FILE" });

        var events = new List<(string, string, string?)>();
        while (true)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the notify stream ended before the marker");
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            using var payload = JsonDocument.Parse(line["data: ".Length..]);
            foreach (var n in payload.RootElement.EnumerateArray())
            {
                var type = n.GetProperty("type").GetString()!;
                var path = n.GetProperty("path").GetString()!;
                var stream = n.GetProperty("stream_name").ValueKind == JsonValueKind.Null ? null : n.GetProperty("stream_name").GetString();
                if (type == "child_file_added" && path == marker)
                {
                    return events;
                }

                events.Add((type, path, stream));
            }
        }
    }

    private async Task<JsonElement> CreateAsync(string parent, object body)
    {
        using var response = await _http.PostAsJsonAsync($"v1/files/{Uri.EscapeDataString(parent)}/entries/", body);
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> PatchAttributesAsync(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.PatchAsync($"v1/files/{Uri.EscapeDataString(path)}/info/attributes", content);
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> SendBytesAsync(HttpMethod method, string url, int length)
    {
        using var request = new HttpRequestMessage(method, url) { Content = new ByteArrayContent(new byte[length]) };
        using var response = await _http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{url}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task DeleteAsync(string url)
    {
        using var response = await _http.DeleteAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"{url}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<JsonElement> GetAsync(string url)
    {
        using var response = await _http.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"{url}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
