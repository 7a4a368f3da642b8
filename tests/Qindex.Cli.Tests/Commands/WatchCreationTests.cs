using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Qindex.Cli.Tests.Commands;

/// <summary>
/// <c>qindex watch</c> creates its index, but a watch that fails before its first commit leaves
/// no index directory behind, as <c>crawl</c> does.
/// </summary>
public sealed class WatchCreationTests : IClassFixture<SimulatorFixture>, IDisposable
{
    private readonly SimulatorFixture _sim;
    private readonly string _dir = CliRunner.TempDir();

    public WatchCreationTests(SimulatorFixture sim) => _sim = sim;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Port => _sim.Server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static TheoryData<string> Failures => ["unreachable", "wrong-password", "no-privilege", "disabled-error"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Watch_that_fails_before_its_first_commit_leaves_no_index_directory(string failure)
    {
        var index = Path.Combine(_dir, "idx-" + failure);
        string[] cluster = failure switch
        {
            "unreachable" => ["--host", "127.0.0.1", "--port", ClosedPort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--ca-cert", _sim.CertFile, "--user", "admin", "--password", "admin"],
            "wrong-password" => _sim.ClusterArgs(password: "wrong-password"),
            "no-privilege" => ["--host", "127.0.0.1", "--port", Port, "--ca-cert", _sim.CertFile, "--user", "reader", "--password", "reader"],
            _ => _sim.ClusterArgs(),
        };
        if (failure == "disabled-error")
        {
            await PutRecursiveModeAsync("DISABLED_ERROR");
        }

        CliResult result;
        try
        {
            result = await CliRunner.RunAsync(["watch", .. cluster, "--index", index, "--retry-budget", "1"], timeout: TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (failure == "disabled-error")
            {
                await PutRecursiveModeAsync("ENABLED");
            }
        }

        var expectedExit = failure is "no-privilege" or "disabled-error" ? 3 : 1;
        Assert.True(result.ExitCode == expectedExit, result.ToString());
        Assert.False(Directory.Exists(index), $"a failed watch ({failure}) left {index}:\n{result}");
    }

    [Fact]
    public async Task Watch_that_fails_before_its_first_commit_leaves_an_empty_existing_directory_empty()
    {
        var index = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(index);

        var result = await CliRunner.RunAsync(["watch", .. _sim.ClusterArgs(password: "wrong-password"), "--index", index]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(index));
    }

    private async Task PutRecursiveModeAsync(string mode)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) == _sim.Server.CertificateSha256,
        };
        using var http = new HttpClient(handler) { BaseAddress = _sim.Server.BaseAddress };
        using var login = await http.PostAsJsonAsync("v1/session/login", new { username = "admin", password = "admin" });
        var token = (await login.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["bearer_token"];
        using var request = new HttpRequestMessage(HttpMethod.Put, "v1/file-system/settings/notify") { Content = JsonContent.Create(new { recursive_mode = mode }) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}
