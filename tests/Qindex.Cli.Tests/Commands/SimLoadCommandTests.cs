using System.Text.Json;

namespace Qindex.Cli.Tests.Commands;

/// <summary><c>qindex sim load</c> driving the in-simulator load of a running simulator.</summary>
public sealed class SimLoadCommandTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _sim;

    public SimLoadCommandTests(SimulatorFixture sim) => _sim = sim;

    [Fact]
    public async Task Start_then_wait_runs_a_bounded_load_and_prints_its_status()
    {
        string[] connection = ["--host", "127.0.0.1", "--port", _sim.Server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ca-cert", _sim.CertFile];
        var start = await CliRunner.RunAsync(["sim", "load", "start", "--changes", "400", "--rate", "20000", "--seed", "4", "--path", "/cli load", .. connection]);
        Assert.True(start.ExitCode == 0, start.ToString());

        var wait = await CliRunner.RunAsync(["sim", "load", "wait", "--seconds", "60", .. connection]);
        Assert.True(wait.ExitCode == 0, wait.ToString());
        using var status = JsonDocument.Parse(wait.Stdout);
        Assert.False(status.RootElement.GetProperty("running").GetBoolean());
        Assert.True(status.RootElement.GetProperty("changes").GetInt64() >= 400, wait.Stdout);
        Assert.Equal("/cli load", status.RootElement.GetProperty("path").GetString());
        Assert.True(_sim.Server.Cluster.EnumerateEntries("/cli load/").Any());

        var bad = await CliRunner.RunAsync(["sim", "load", "start", "--path", "/", .. connection]);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("other than the root", bad.Output, StringComparison.Ordinal);
    }
}
