using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Qindex.Simulator;

namespace Qindex.Cli.Tests;

/// <summary>Issue 7 item 7: no password or token in any output or file qindex writes.</summary>
public sealed class SecretsTests : IDisposable
{
    private const string Password = "Pw-q7Zx-93kLm";
    private const string CatalogPassword = "Cat-p4ss-77Yq";
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Rest_catalog_uri_password_is_redacted_in_errors()
    {
        using var closed = new TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var uri = $"https://catalog-user:{CatalogPassword}@127.0.0.1:{port}/";

        foreach (var args in new[]
        {
            new[] { "status", "--index", Path.Combine(_dir, "idx"), "--catalog-uri", uri },
            ["import", "--index", Path.Combine(_dir, "idx"), "--catalog-uri", uri, CliRunner.WriteNdjson(_dir, 3)],
        })
        {
            var result = await CliRunner.RunAsync(args);

            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains("catalog", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(CatalogPassword, result.Output, StringComparison.Ordinal);
        }

        AssertNotInFiles(_dir, CatalogPassword);
    }

    [Fact]
    public async Task Password_and_token_appear_in_no_output_and_no_file_of_the_index()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Port = 0, Objects = 200, Seed = 5, Password = Password, CertOut = Path.Combine(_dir, "sim.pem") });
        var port = server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var token = await LoginAsync(server);
        var home = Path.Combine(_dir, "home");
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(Path.Combine(home, ".qfsd_cred"), JsonSerializer.Serialize(new Dictionary<string, string> { ["bearer_token"] = token }));
        var index = Path.Combine(_dir, "idx");
        var cluster = new[] { "--host", "127.0.0.1", "--port", port, "--ca-cert", Path.Combine(_dir, "sim.pem") };
        var withHome = new Dictionary<string, string?> { ["HOME"] = home };

        var outputs = new List<CliResult>
        {
            await CliRunner.RunAsync(["crawl", .. cluster, "--user", "admin", "--password", Password, "--index", index]),
            await CliRunner.RunAsync(["crawl", .. cluster, "--index", index], withHome),
            await CliRunner.RunAsync(["crawl", .. cluster, "--index", index], new Dictionary<string, string?> { ["QINDEX_PASSWORD"] = Password, ["QINDEX_USER"] = "admin" }),
            await CliRunner.RunAsync(["crawl", .. cluster, "--user", "admin", "--password", Password + "-wrong", "--index", index]),
            await CliRunner.RunAsync(["status", "--index", index, "--json"]),
            await CliRunner.RunAsync(["query", "--index", index, "--format", "json", "SELECT * FROM files LIMIT 5"]),
            await CliRunner.RunAsync(["export", "--index", index, "--parquet", Path.Combine(_dir, "export")]),
        };

        Assert.All(outputs.Take(3), r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Equal(1, outputs[3].ExitCode);
        foreach (var output in outputs)
        {
            Assert.DoesNotContain(Password, output.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(token, output.Output, StringComparison.Ordinal);
        }

        AssertNotInFiles(index, Password, token);
        AssertNotInFiles(Path.Combine(_dir, "export"), Password, token);
    }

    private static void AssertNotInFiles(string directory, params string[] secrets)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".qfsd_cred", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var secret in secrets)
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{file} holds a secret");
            }
        }
    }

    private static async Task<string> LoginAsync(SimulatorServer server)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) == server.CertificateSha256,
        };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsJsonAsync("v1/session/login", new { username = "admin", password = Password });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("bearer_token").GetString()!;
    }
}
