using Qindex.Simulator.Load;

namespace Qindex.Simulator;

/// <summary>How to start a simulated cluster: where it listens, the generated tree, the admin user.</summary>
public sealed record SimulatorOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>Objects in the generated tree (root included).</summary>
    public long Objects { get; init; } = 1000;

    public int Seed { get; init; } = 1;
    public string User { get; init; } = "admin";
    public string Password { get; init; } = "admin";

    /// <summary>Write the self-signed certificate's PEM here.</summary>
    public string? CertOut { get; init; }

    /// <summary>
    /// Files in an extra directory <c>/wide/</c> added to the generated tree (0 for none): one
    /// directory as large as a mail spool or an image dump, to test listing and crawl memory.
    /// </summary>
    public int WideDirectoryEntries { get; init; }

    /// <summary>Seconds between keep-alive comments on notify streams.</summary>
    public double KeepAliveSeconds { get; init; } = 5;

    /// <summary>Default of <see cref="MaxEventsPerMessage"/>. Assumed: no public source says how many events a cluster puts in one message.</summary>
    public const int DefaultMaxEventsPerMessage = 1000;

    /// <summary>
    /// Most notifications a notify stream puts in one <c>data:</c> message (one JSON list on one
    /// line). Pending notifications are drained up to this many per message; 1 sends each alone.
    /// </summary>
    public int MaxEventsPerMessage { get; init; } = DefaultMaxEventsPerMessage;

    /// <summary>
    /// Notifications a notify stream may hold unsent before the simulator drops it (as a real
    /// cluster drops a stream that cannot keep up; the client must then catch up). Raise it for
    /// bursts the watcher is meant to absorb late rather than lose.
    /// </summary>
    public int WatchCapacity { get; init; } = Model.ClusterModel.DefaultWatchCapacity;

    /// <summary>A load to start as soon as the server listens (<c>sim serve --load RATE</c>), or null.</summary>
    public LoadOptions? Load { get; init; }
}
