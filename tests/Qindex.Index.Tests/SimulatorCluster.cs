using System.Net.Http.Json;
using System.Security.Cryptography;
using Qindex.Index.Tests.Crawl;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests;

/// <summary>
/// A simulator served over a real socket, with what most tests ask of it: a client pinned to its
/// certificate, its fault API, the paths of its model, and scratch index directories removed at
/// the end.
/// </summary>
internal sealed class SimulatorCluster : IAsyncDisposable
{
    private readonly List<string> _directories = [];

    private SimulatorCluster(SimulatorServer server) => Server = server;

    public SimulatorServer Server { get; }

    public static async Task<SimulatorCluster> StartAsync(SimulatorOptions options) => new(await SimulatorServer.StartAsync(options));

    /// <summary>The admin connection to <paramref name="server"/>, pinned to its certificate, for tests that hold a server of their own.</summary>
    public static QumuloConnection ConnectionTo(SimulatorServer server) => new()
    {
        Host = server.BaseAddress.Host,
        Port = server.BaseAddress.Port,
        User = "admin",
        Password = "admin",
        PinSha256 = server.CertificateSha256,
    };

    /// <summary>A client pinned to the simulator's certificate; retry settings left null keep the connection's defaults.</summary>
    public QumuloClient Client(TimeSpan? retryBudget = null, TimeSpan? initialBackoff = null, TimeSpan? maxBackoff = null)
    {
        var connection = ConnectionTo(Server);
        connection = connection with
        {
            RetryBudget = retryBudget ?? connection.RetryBudget,
            InitialBackoff = initialBackoff ?? connection.InitialBackoff,
            MaxBackoff = maxBackoff ?? connection.MaxBackoff,
        };
        return new QumuloClient(connection);
    }

    /// <summary>Injects a fault (<c>errors</c>, <c>latency</c>, <c>drop-streams</c>, <c>clear</c>, ...).</summary>
    public Task FaultAsync(string kind, object? body = null) => SimulatorFaults.InjectAsync(Server, kind, body);

    /// <summary>A new empty directory for an index, removed when the cluster is disposed.</summary>
    public string NewIndexDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("qindex-test-").FullName;
        _directories.Add(directory);
        return directory;
    }

    /// <summary>Sets the cluster's recursive notify mode (ENABLED, DISABLED_ERROR, DISABLED_IGNORE) through its REST API as admin.</summary>
    public async Task PutRecursiveModeAsync(string mode)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) == Server.CertificateSha256,
        };
        using var http = new HttpClient(handler) { BaseAddress = Server.BaseAddress };
        using var login = await http.PostAsJsonAsync("v1/session/login", new { username = "admin", password = "admin" });
        var token = (await login.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["bearer_token"];
        using var request = new HttpRequestMessage(HttpMethod.Put, "v1/file-system/settings/notify") { Content = JsonContent.Create(new { recursive_mode = mode }) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The snapshots on the cluster whose names say qindex took them.</summary>
    public List<Qindex.Simulator.Model.SnapshotInfo> QindexSnapshots() =>
        Server.Cluster.ListSnapshots().Where(s => s.Name.StartsWith("qindex-", StringComparison.Ordinal)).ToList();

    /// <summary>Every path under <paramref name="root"/> in the simulator's model, the root included.</summary>
    public List<string> ModelPaths(string root = "/")
    {
        var paths = new List<string> { root };
        var queue = new Queue<string>([root]);
        while (queue.Count > 0)
        {
            foreach (var entry in Server.Cluster.EnumerateEntries(queue.Dequeue()))
            {
                paths.Add(entry.Path);
                if (entry.Path.EndsWith('/'))
                {
                    queue.Enqueue(entry.Path);
                }
            }
        }

        return paths.Order(StringComparer.Ordinal).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        foreach (var directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
