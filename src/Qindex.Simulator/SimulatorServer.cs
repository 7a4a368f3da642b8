using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qindex.Simulator.Generation;
using Qindex.Simulator.Http;
using Qindex.Simulator.Load;
using Qindex.Simulator.Model;

namespace Qindex.Simulator;

/// <summary>
/// A simulated Qumulo cluster served over HTTPS (Kestrel) from an in-memory model: what tests,
/// benchmarks, the demo and <c>qindex sim serve</c> run against.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Faults _faults;
    private readonly X509Certificate2 _certificate;

    private SimulatorServer(WebApplication app, Faults faults, X509Certificate2 certificate, ClusterModel cluster, SimulatedLoad load, Uri baseAddress)
    {
        _app = app;
        Load = load;
        _faults = faults;
        _certificate = certificate;
        Cluster = cluster;
        BaseAddress = baseAddress;
        CertificatePem = certificate.ExportCertificatePem();
        CertificateSha256 = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    /// <summary>https://HOST:PORT/ with the port actually bound.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The self-signed certificate, PEM encoded (what a client's --ca-cert file holds).</summary>
    public string CertificatePem { get; }

    /// <summary>SHA-256 of the certificate, lowercase hex (what --pin-sha256 takes).</summary>
    public string CertificateSha256 { get; }

    /// <summary>The model behind the API; tests may change it directly to set up a scene.</summary>
    public ClusterModel Cluster { get; }

    /// <summary>The in-simulator load (also driven through <c>/__sim/load/...</c>).</summary>
    public SimulatedLoad Load { get; }

    public static async Task<SimulatorServer> StartAsync(SimulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxEventsPerMessage, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WatchCapacity, 1, nameof(options));
        options.Load?.Validate();
        var cluster = options.Objects <= 1
            ? ClusterModel.CreateEmpty()
            : ClusterModel.CreateGenerated(new GeneratedTreeOptions(options.Seed, options.Objects));
        if (options.WideDirectoryEntries > 0)
        {
            cluster.CreateDirectory("/", "wide");
            for (int i = 0; i < options.WideDirectoryEntries; i++)
            {
                cluster.CreateFile("/wide/", "f" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        var certificate = SelfSignedCertificate.Create(options.Host);
        if (options.CertOut is { } certOut)
        {
            await File.WriteAllTextAsync(certOut, certificate.ExportCertificatePem(), cancellationToken);
        }

        var faults = new Faults();
        var load = new SimulatedLoad(cluster);
        var endpoints = new Endpoints(cluster, new Sessions(options.User, options.Password), faults, load, options);
        // No configuration file is read, so none is watched: a watcher on the working directory
        // saw every file the index wrote beside it (4.6% of the watch benchmark's time went there).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = options.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host);
            kestrel.Listen(address, options.Port, listen => listen.UseHttps(certificate));
            kestrel.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(endpoints.HandleAsync);
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
        var host = options.Host;
        if (options.Load is { } startLoad)
        {
            load.Start(startLoad);
        }

        return new SimulatorServer(app, faults, certificate, cluster, load, new UriBuilder(Uri.UriSchemeHttps, host, port).Uri);
    }

    /// <summary>Completes when the server stops (Ctrl-C under <c>qindex sim serve</c>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) =>
        Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        await Load.DisposeAsync();

        // Open notify streams would hold the shutdown until its timeout; end them first.
        _faults.DropStreams();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        _faults.Dispose();
        _certificate.Dispose();
    }
}
