using System.Net.Http.Json;
using System.Security.Cryptography;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Crawl;

/// <summary>Calls a simulator's fault API over its real socket, pinned to its certificate.</summary>
internal static class SimulatorFaults
{
    public static async Task InjectAsync(SimulatorServer server, string kind, object? body = null)
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
