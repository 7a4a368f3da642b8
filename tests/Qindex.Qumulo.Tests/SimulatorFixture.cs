using System.Net.Http.Json;
using System.Security.Cryptography;
using Qindex.Simulator;

namespace Qindex.Qumulo.Tests;

/// <summary>Starts a simulator on a free loopback port and gives clients pinned to its certificate.</summary>
public static class SimulatorHelpers
{
    public static QumuloConnection Connection(SimulatorServer server, string user = "admin", string password = "admin") => new()
    {
        Host = server.BaseAddress.Host,
        Port = server.BaseAddress.Port,
        User = user,
        Password = password,
        PinSha256 = server.CertificateSha256,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>Calls the simulator's fault API with a plain HttpClient pinned to its certificate.</summary>
    public static async Task FaultAsync(SimulatorServer server, string kind, object? body = null)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) == server.CertificateSha256,
        };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsJsonAsync($"__sim/faults/{kind}", body ?? new { });
        response.EnsureSuccessStatusCode();
    }
}
