using System.Net.Http.Json;
using System.Text.Json;

namespace Qindex.Simulator.Tests.Http;

public sealed class WideDirectoryTests
{
    [Fact]
    public async Task A_wide_directory_is_served_beside_the_generated_tree_and_pages_through_every_entry()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 100, Seed = 2, WideDirectoryEntries = 2500 });
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        using var login = await http.PostAsJsonAsync("/v1/session/login", new { username = "admin", password = "admin" });
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("bearer_token").GetString();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        var names = new List<string>();
        string? next = "/v1/files/%2Fwide%2F/entries/?limit=1000";
        while (!string.IsNullOrEmpty(next))
        {
            var page = await http.GetFromJsonAsync<JsonElement>(next);
            names.AddRange(page.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()!));
            next = page.GetProperty("paging").GetProperty("next").GetString();
        }

        Assert.Equal(2500, names.Count);
        Assert.Equal(2500, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains("f0002499", names);
        Assert.Equal(2500, server.Cluster.GetAttributes("/wide/").ChildCount);
    }
}
